// A fixed set of worker threads for the CPU evaluator's per-level loops. ParallelFor hands out
// indices dynamically, so callers that need results independent of the thread count must make each
// index's work self-contained and reduce per-index results in index order (fixed partitions).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace lmm::cpu {

class ThreadPool {
 public:
  // `threads` >= 1 counts the calling thread: threads - 1 workers are started.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls body(i) once for every i in [0, count) and returns when all calls are done. Does not
  // allocate. body must not throw.
  template <class F>
  void ParallelFor(int64_t count, F&& body) {
    Run(
        count, [](void* ctx, int64_t i) { (*static_cast<std::remove_reference_t<F>*>(ctx))(i); },
        &body);
  }

  // ParallelFor when `parallel`, else the same calls in index order on the calling thread (for
  // callers that are pool tasks themselves, or whose work is too small to hand out).
  template <class F>
  void ForEach(bool parallel, int64_t count, F&& body) {
    if (parallel) {
      ParallelFor(count, body);
    } else {
      for (int64_t i = 0; i < count; ++i) body(i);
    }
  }

 private:
  using Task = void (*)(void*, int64_t);
  void Run(int64_t count, Task task, void* ctx);
  void Drain();
  void WorkerLoop();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_cv_, done_cv_;
  uint64_t generation_ = 0;
  int busy_ = 0;
  bool stop_ = false;
  Task task_ = nullptr;
  void* ctx_ = nullptr;
  int64_t count_ = 0;
  std::atomic<int64_t> next_{0};
};

}  // namespace lmm::cpu
