// One batch job from manifest entry to files under the output directory.
#pragma once

#include <limits>
#include <optional>
#include <string>

#include "batch/job_inputs.h"
#include "batch/manifest.h"

namespace lmm::batch {

struct JobOutcome {
  std::string id;
  std::string status = "pending";  // pending, ok, failed, not-converged
  int exit_code = 0;               // what `lmmgpu fit` would have returned: 0, 2, 3 or 1
  std::string message;
  double loglik = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0;
  std::string backend;
  bool resumed = false;  // kept from an earlier run by --resume
};

// Result file names under the output directory.
std::string ResultPath(const std::string& out_dir, const std::string& id);   // <id>.json
std::string ErrorPath(const std::string& out_dir, const std::string& id);    // <id>.error.json
std::string RanefPath(const std::string& out_dir, const std::string& id);    // <id>.ranef.csv
std::string PredictPath(const std::string& out_dir, const std::string& id);  // <id>.predict.csv

// Reads, builds and fits the job and writes, each atomically, the asked CSVs and then <id>.json:
// `fit --format json`'s object plus "id", "inputs" (InputsRecord) and "seconds" (wall time of the
// job). A job that throws (bad options, data, formula, numerical failure, internal error) or whose
// fit did not converge writes <id>.error.json instead ({"id", "status", "exit_code", "message",
// "inputs" when known, "seconds"}) and removes any <id>.json, so that no stale result remains.
// Never throws: every failure, writing the files included, is in the outcome.
JobOutcome RunJob(const BatchJob& job, const std::string& out_dir, int default_threads,
                  FingerprintCache& cache);

// --resume: the outcome recorded in <id>.json when its "inputs" equal the job's current ones and
// the CSVs the job asks for exist; nullopt when the job has to run.
std::optional<JobOutcome> ResumedOutcome(const BatchJob& job, const std::string& out_dir,
                                         int default_threads, FingerprintCache& cache);

}  // namespace lmm::batch
