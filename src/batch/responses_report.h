// `fit --responses`: fitting every response and writing the results.
#pragma once

#include <string>
#include <vector>

#include "lmm/fit.h"
#include "lmm/load.h"

namespace lmm::batch {

struct ResponsesOutput {
  std::string format = "json";  // json: one array; text: the fit reports one after another
  std::string output;           // the array (or text) goes to this file, atomically; empty: stdout
  // The array's objects: `fit --format json`'s plus "response", "status" and "seconds" (the wall
  // time of that response's fit), or {response, status, exit_code, message, seconds} for a
  // failed one. When output_dir is set: DIR/<response>.json for each fitted response and
  // DIR/<response>.error.json for each failed one (the same objects), each written atomically as
  // soon as it is done, and DIR/summary.csv (response,status,loglik,seconds,backend,message).
  // Characters of a response name outside [A-Za-z0-9_.-] become '_' in file names.
  std::string output_dir;
};

// Runs FitResponses and writes the results; returns the exit code: 0 when every response was
// fitted and converged, 4 when some were not (counts on stderr). Throws lmm::Error for what all
// responses share (formula, data file, design, output paths).
int FitAndReportResponses(const LoadOptions& load, const std::vector<std::string>& items,
                          const FitOptions& options, const ResponsesOutput& output);

}  // namespace lmm::batch
