// DIR/summary.csv of a batch: one row per manifest job, in manifest order.
#pragma once

#include <string>
#include <vector>

#include "batch/job_runner.h"

namespace lmm::batch {

// Header id,status,loglik,seconds,backend,message. status: ok, failed, not-converged or pending
// (not finished yet); loglik empty when unknown; message on one line (line ends become " | "),
// quoted as RFC 4180 when it holds a comma or a quote.
std::string SummaryCsv(const std::vector<JobOutcome>& outcomes);

}  // namespace lmm::batch
