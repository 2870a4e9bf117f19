// `lmmgpu batch`: every job of a manifest, each to its own result files, none able to stop or
// spoil the others; a killed run is resumed with `resume`.
#pragma once

#include <cstdio>
#include <string>

namespace lmm::batch {

struct BatchOptions {
  std::string manifest;
  std::string out_dir;
  bool resume = false;  // keep results whose inputs are unchanged
  int threads = 0;      // per fit; 0: the cores divided among the concurrent jobs
  int jobs = 1;         // jobs run at the same time
  std::FILE* log = stderr;
  bool terminal = false;  // progress drawn in place (the caller checks isatty)
};

struct BatchCounts {
  int total = 0;
  int ok = 0;       // includes resumed
  int resumed = 0;  // kept from an earlier run
  int failed = 0;   // failed or not converged
};

// Reads the manifest (lmm::Error(kUsage) with the place for a bad one), creates the output
// directory, takes its lock (DIR/.lmmgpu-batch.lock, held by flock while the batch runs: a second
// batch on the same directory is a usage error), removes temporary files a killed run left
// (AtomicFile's ".NAME.tmp.XXXXXX"), then runs the jobs and keeps DIR/summary.csv current
// (rewritten atomically at most four times a second while jobs finish, and at the end).
BatchCounts RunBatch(const BatchOptions& options);

}  // namespace lmm::batch
