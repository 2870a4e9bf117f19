// Pieces shared by the GPU benchmark programs (benchmarks/gpu_*_bench.cc): wall-clock timing, the
// one-line skip, and the main() that a build without CUDA gets (a skip line, exit status 0).
#pragma once

#include <chrono>
#include <cstdio>
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

}  // namespace lmm::bench

// main() of a GPU benchmark: lmm::Main(argc, argv) in a CUDA build, else a skip line.
#if LMM_HAVE_CUDA
#define LMM_GPU_BENCH_MAIN(program) \
  int main(int argc, char** argv) { return lmm::Main(argc, argv); }
#else
#define LMM_GPU_BENCH_MAIN(program) \
  int main() { return lmm::bench::Skip(program, "this build has no CUDA backend"); }
#endif
