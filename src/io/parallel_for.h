// A minimal fork-join loop over std::thread for the CSV reader.
#pragma once

#include <cstddef>
#include <functional>

namespace lmm::io {

// Runs task(i) for every i in [0, count) on at most `threads` threads (the caller's among them)
// and waits for all. If tasks throw, rethrows the exception of the lowest index.
void ParallelFor(size_t count, int threads, const std::function<void(size_t)>& task);

// CsvOptions::threads resolved: 0 (or less) means std::thread::hardware_concurrency(), at least 1.
int ResolveThreads(int requested);

}  // namespace lmm::io
