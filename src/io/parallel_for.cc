#include "io/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <vector>

namespace lmm::io {

void ParallelFor(size_t count, int threads, const std::function<void(size_t)>& task) {
  const size_t workers = std::min<size_t>(count, static_cast<size_t>(std::max(threads, 1)));
  if (workers <= 1) {
    for (size_t i = 0; i < count; ++i) task(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::exception_ptr> errors(count);
  auto work = [&] {
    for (size_t i = next++; i < count; i = next++) {
      try {
        task(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

int ResolveThreads(int requested) {
  constexpr int kMaxThreads = 256;  // more only risks failing to start threads
  if (requested > 0) return std::min(requested, kMaxThreads);
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace lmm::io
