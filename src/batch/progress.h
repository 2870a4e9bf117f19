// Progress of a batch on stderr: on a terminal one line rewritten in place (done/total, failures,
// rate, ETA); otherwise one plain log line per finished job.
#pragma once

#include <chrono>
#include <cstdio>

#include "batch/job_runner.h"

namespace lmm::batch {

class Progress {
 public:
  // `total` jobs, of which `already_done` were kept by --resume. `terminal`: rewrite one line.
  Progress(int total, int already_done, bool terminal, std::FILE* out);
  // Not thread-safe: callers serialize.
  void JobDone(const JobOutcome& outcome);
  // Ends the in-place line.
  void Finish();

 private:
  int total_;
  int done_;
  int run_ = 0;  // finished in this run
  int failed_ = 0;
  bool terminal_;
  std::FILE* out_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace lmm::batch
