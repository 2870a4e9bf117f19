// Pieces shared by the GPU benchmark programs (benchmarks/gpu_*_bench.cc): wall-clock timing, the
// one-line skip, count arguments, and main(): in a CUDA build lmm::Main with an exception reported
// as one line, in a build without CUDA a skip line (exit status 0).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace lmm::bench {

using Clock = std::chrono::steady_clock;

// Wall seconds since t0.
inline double Seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Mean wall time in microseconds of f(0), ..., f(reps - 1).
template <typename F>
double MeanMicros(int reps, F&& f) {
  const auto t0 = Clock::now();
  for (int r = 0; r < reps; ++r) f(r);
  return 1e6 * Seconds(t0) / reps;
}

// Prints "<program>: skipped: <why>" and returns 0: the exit of a benchmark that cannot run here
// (no CUDA backend, no usable device, too little memory).
inline int Skip(const char* program, const std::string& why) {
  std::printf("%s: skipped: %s\n", program, why.c_str());
  return 0;
}

// A count argument: a whole number in [1, 2^31) (levels and rows per cluster are int32 in the
// frame), else 0 (a usage error).
inline int64_t Count(const char* text) {
  char* end = nullptr;
  const long long v = std::strtoll(text, &end, 10);
  return end != text && *end == '\0' && v >= 1 && v < (int64_t{1} << 31) ? v : 0;
}

// main's body in a CUDA build: run(argc, argv), with an exception (a refused model, host memory, a
// failed fit) reported as "<program>: failed: <what>" and exit status 1 rather than std::terminate.
template <typename Run>
int RunReportingFailure(const char* program, Run&& run, int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s: failed: %s\n", program, e.what());
    return 1;
  }
}

}  // namespace lmm::bench

// main() of a GPU benchmark: lmm::Main(argc, argv) in a CUDA build, else a skip line.
#if LMM_HAVE_CUDA
#define LMM_GPU_BENCH_MAIN(program)                                           \
  int main(int argc, char** argv) {                                           \
    return lmm::bench::RunReportingFailure(program, lmm::Main, argc, argv); \
  }
#else
#define LMM_GPU_BENCH_MAIN(program) \
  int main() { return lmm::bench::Skip(program, "this build has no CUDA backend"); }
#endif
