// Lock-step fits: a group of up to ResponseBatch::capacity() fits, each on its own host thread
// running the normal fit path, whose evaluations are gathered into one batched call per round.
//
// Protocol. Run(count, fit) starts fit(slot) for slot = 0 .. count-1, each on its own thread.
// A fit registers its response (Register) and then evaluates through Evaluate(slot, lambda),
// which posts Lambda and blocks. The calling thread of Run is the coordinator: when every fit
// still running has posted, it loads the group into the batch (first round only: the response
// pieces go to the batch once per group), evaluates all posted Lambdas in one
// ResponseBatch::Evaluate and wakes their fits. A fit that returns or throws leaves the group
// (its thread's exit does it), so the others never wait for it; what a fit throws is caught and
// rethrown by Run after every thread has been joined (the first, in slot order). A fit that
// leaves before registering simply has an empty slot.
//
// Results do not depend on the grouping: each slot's evaluation is a function of its own response
// and Lambda only (ResponseBatch's contract), so a fit in a group of K gives, bit for bit, what
// it gives alone.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "likelihood/gpu/one_term_host.h"
#include "likelihood/response_batch.h"
#include "likelihood/status.h"

namespace lmm {

// Responses fitted together at most (threads per group; slots of the batch).
inline constexpr int kLockstepGroup = 256;

class LockstepCoordinator {
 public:
  explicit LockstepCoordinator(ResponseBatch& batch);

  // Runs the group; returns when every fit has returned. count <= batch.capacity().
  void Run(int count, const std::function<void(int slot)>& fit);

  // From fit `slot`'s thread: its response (copied into the batch at the first round).
  void Register(int slot, const ResponsePieces& pieces);
  // From fit `slot`'s thread, after Register: the reduction at Lambda = lambda (q x q), evaluated
  // in the next round together with every other running fit's. kDevice when the batch failed
  // (or threw); kInvalidArgument when the slot never registered.
  Status Evaluate(int slot, std::span<const double> lambda, gpu::ClusterReduction* out);

  // Statistics of the last Run: batched calls, and evaluations in all.
  int rounds() const { return rounds_; }
  int64_t evaluations() const { return evaluations_; }

 private:
  struct Slot {
    bool active = false;
    bool posted = false;
    bool ready = false;
    const ResponsePieces* pieces = nullptr;  // the fit thread's, valid while it is active
    std::vector<double> lambda;
    gpu::ClusterReduction result;
    Status status;
    std::condition_variable wake;
  };
  void Leave(int slot);
  // With mu_ held and every active slot posted: one batched evaluation.
  void RunRound(std::unique_lock<std::mutex>& lock);

  ResponseBatch& batch_;
  int q_;
  std::mutex mu_;
  std::condition_variable changed_;  // a slot posted or left
  std::vector<std::unique_ptr<Slot>> slots_;
  int active_ = 0;
  int posted_ = 0;
  bool loaded_ = false;
  int rounds_ = 0;
  int64_t evaluations_ = 0;
};

}  // namespace lmm
