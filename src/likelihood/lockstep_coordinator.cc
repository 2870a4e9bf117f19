#include "likelihood/lockstep_coordinator.h"

#include <exception>
#include <thread>

#include "lmm/error.h"

namespace lmm {

LockstepCoordinator::LockstepCoordinator(ResponseBatch& batch)
    : batch_(batch), q_(batch.design().q) {}

void LockstepCoordinator::Run(int count, const std::function<void(int slot)>& fit) {
  if (count < 0 || count > batch_.capacity())
    throw Error(ErrorKind::kInternal, "lock-step fits: group larger than the batch's capacity");
  {
    std::lock_guard<std::mutex> guard(mu_);
    slots_.clear();
    for (int s = 0; s < count; ++s) {
      slots_.push_back(std::make_unique<Slot>());
      slots_.back()->active = true;
    }
    active_ = count;
    posted_ = 0;
    loaded_ = false;
    rounds_ = 0;
    evaluations_ = 0;
  }
  std::vector<std::exception_ptr> thrown(static_cast<size_t>(count));
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(count));
  // A thread that cannot be started is a fit that left at once (its exception is reported).
  for (int s = 0; s < count; ++s) {
    try {
      threads.emplace_back([this, s, &fit, &thrown] {
        try {
          fit(s);
        } catch (...) {
          thrown[static_cast<size_t>(s)] = std::current_exception();
        }
        Leave(s);
      });
    } catch (...) {
      thrown[static_cast<size_t>(s)] = std::current_exception();
      threads.emplace_back();
      Leave(s);
    }
  }
  {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      changed_.wait(lock, [this] { return active_ == 0 || posted_ == active_; });
      if (active_ == 0) break;
      RunRound(lock);
    }
  }
  for (std::thread& t : threads)
    if (t.joinable()) t.join();
  for (const std::exception_ptr& e : thrown)
    if (e) std::rethrow_exception(e);
}

void LockstepCoordinator::RunRound(std::unique_lock<std::mutex>& lock) {
  std::vector<int> slots;
  std::vector<double> lambdas;
  std::vector<const ResponsePieces*> pieces;
  std::vector<gpu::ClusterReduction> results;
  Status status;
  // Whatever throws here (the batch, or allocating the round's vectors) fails the round's fits
  // rather than leaving Run (which would abandon the fits blocked in Evaluate).
  try {
    for (int s = 0; s < static_cast<int>(slots_.size()); ++s) {
      Slot& slot = *slots_[static_cast<size_t>(s)];
      if (!slot.posted) continue;
      slots.push_back(s);
      lambdas.insert(lambdas.end(), slot.lambda.begin(), slot.lambda.end());
    }
    if (!loaded_)
      for (const std::unique_ptr<Slot>& slot : slots_) pieces.push_back(slot->pieces);
    // Every running fit is blocked in Evaluate, so nothing changes while the lock is released.
    lock.unlock();
    if (!loaded_) status = batch_.LoadGroup(pieces);
    if (status.ok()) status = batch_.Evaluate(slots, lambdas, &results);
    if (status.ok() && results.size() != slots.size())
      status = Status::Error(Status::Code::kDevice,
                             "lock-step fits: the batch returned the wrong number of results");
  } catch (...) {
    status = Status::Error(Status::Code::kDevice,
                           "lock-step fits: the batched evaluation failed (out of memory?)");
  }
  if (!lock.owns_lock()) lock.lock();
  loaded_ = loaded_ || status.ok();
  ++rounds_;
  // Every posted slot, in slot order: `slots` when it was collected whole (status ok).
  size_t i = 0;
  for (const std::unique_ptr<Slot>& p : slots_) {
    Slot& slot = *p;
    if (!slot.posted) continue;
    slot.status = status;
    if (status.ok()) slot.result = std::move(results[i]);
    ++i;
    slot.posted = false;
    slot.ready = true;
  }
  evaluations_ += static_cast<int64_t>(i);
  posted_ = 0;
  // Woken after the lock is released, so that each fit does not wake into a held mutex (a slot
  // that is not waiting ignores the notification). The slots stay in place until Run returns.
  lock.unlock();
  for (const std::unique_ptr<Slot>& p : slots_) p->wake.notify_one();
  lock.lock();
}

void LockstepCoordinator::Register(int slot, const ResponsePieces& pieces) {
  std::lock_guard<std::mutex> guard(mu_);
  slots_.at(static_cast<size_t>(slot))->pieces = &pieces;
}

Status LockstepCoordinator::Evaluate(int slot, std::span<const double> lambda,
                                     gpu::ClusterReduction* out) {
  std::unique_lock<std::mutex> lock(mu_);
  Slot& s = *slots_.at(static_cast<size_t>(slot));
  if (s.pieces == nullptr || !s.active)
    return Status::Error(Status::Code::kInvalidArgument,
                         "lock-step fits: evaluation of a slot that has no response");
  if (static_cast<int>(lambda.size()) != q_ * q_)
    return Status::Error(Status::Code::kInvalidArgument, "lock-step fits: Lambda is not q x q");
  s.lambda.assign(lambda.begin(), lambda.end());
  s.posted = true;
  s.ready = false;
  ++posted_;
  if (posted_ == active_) changed_.notify_one();  // the round is complete
  s.wake.wait(lock, [&s] { return s.ready; });
  s.ready = false;
  if (s.status.ok()) *out = std::move(s.result);
  return s.status;
}

void LockstepCoordinator::Leave(int slot) {
  std::lock_guard<std::mutex> guard(mu_);
  Slot& s = *slots_.at(static_cast<size_t>(slot));
  if (!s.active) return;
  s.active = false;
  s.pieces = nullptr;
  --active_;
  if (active_ == 0 || posted_ == active_) changed_.notify_one();
}

}  // namespace lmm
