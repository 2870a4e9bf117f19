// What a failed job or response reports: the exit code and one-line message `lmmgpu fit` would give.
#pragma once

#include <string>

namespace lmm::batch {

struct Failure {
  int exit_code = 1;
  std::string message;
};

// The exception in flight, as a failure (call only inside a catch block): lmm::Error keeps its
// kind's exit code and message; out of memory and other exceptions are internal errors (1).
Failure CurrentFailure();

}  // namespace lmm::batch
