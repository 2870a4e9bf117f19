#include "batch/responses_lockstep.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <utility>

#include "batch/response_outcome.h"
#include "batch/responses_fit.h"
#include "batch/responses_hash.h"
#include "likelihood/lockstep_coordinator.h"
#include "likelihood/lockstep_evaluator.h"
#include "lmm/error.h"
#include "model/theta_layout.h"

#if LMM_HAVE_CUDA
#include "likelihood/gpu/gpu_response_batch.h"
#endif

namespace lmm::batch {
namespace {

constexpr int64_t kMaxGroupFrameBytes = int64_t{4} << 30;

int64_t FrameBytes(const ModelFrame& frame) {
  int64_t per_row = 8 * (frame.p() + 2) + 8;  // X, y, used_rows
  for (const RandomEffectTerm& t : frame.random) per_row += 8 * t.q() + 4;
  return frame.n() * per_row + 4096;
}

void FitOne(const ModelFrame& frame, const cpu::CrossProducts& shared,
            const gpu::HostClusters& design, LockstepCoordinator& coordinator, int slot,
            const FitOptions& options, Backend backend, PreparedResponse prepared,
            ResponseOutcome& outcome) {
  ModelFrame local = frame;
  InstallResponse(prepared, local);
  const Eigen::VectorXd* y = &local.y;
  const std::string hash = ResponseHashes({&y, 1}).at(0);
  LockstepEvaluator ev(local, coordinator, slot, design, MakeResponsePieces(local, shared));
  RecordFit(FitWithEvaluator(local, options, ev, backend, hash), outcome);
}

}  // namespace

int LockstepGroupSize(const ModelFrame& frame, int capacity) {
  const int64_t by_memory = std::max<int64_t>(1, kMaxGroupFrameBytes / FrameBytes(frame));
  return static_cast<int>(std::clamp<int64_t>(by_memory, 1, std::max(1, capacity)));
}

void FitResponsesLockstep(const ModelFrame& frame, const cpu::CrossProducts& shared,
                          const gpu::HostClusters& design, ResponseBatch& batch,
                          const FitOptions& options, Backend backend,
                          const std::function<PreparedResponse(size_t k)>& prepare,
                          std::vector<ResponseOutcome>& outcomes,
                          const std::function<bool(size_t k)>& report, LockstepStats* stats) {
  FitOptions per_fit = options;
  per_fit.threads = 1;
  const size_t group = static_cast<size_t>(LockstepGroupSize(frame, batch.capacity()));
  LockstepCoordinator coordinator(batch);
  for (size_t k0 = 0; k0 < outcomes.size(); k0 += group) {
    const size_t k1 = std::min(outcomes.size(), k0 + group);
    coordinator.Run(static_cast<int>(k1 - k0), [&](int slot) {
      const size_t k = k0 + static_cast<size_t>(slot);
      ResponseOutcome& outcome = outcomes[k];
      const auto t0 = std::chrono::steady_clock::now();
      try {
        FitOne(frame, shared, design, coordinator, slot, per_fit, backend, prepare(k), outcome);
      } catch (...) {
        RecordFailure(outcome);
      }
      outcome.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    });
    if (stats != nullptr) {
      ++stats->groups;
      stats->rounds += coordinator.rounds();
      stats->evaluations += coordinator.evaluations();
    }
    for (size_t k = k0; k < k1; ++k)
      if (!report(k)) return;
  }
}

std::optional<std::vector<ResponseOutcome>> FitResponsesOnGpu(
    const ModelFrame& frame, const std::vector<int64_t>& reported_rows,
    const std::vector<std::string>& responses,
    const std::function<PreparedResponse(size_t k)>& prepare, const FitOptions& options,
    const std::function<void(const ResponseOutcome&)>& on_done) {
#if LMM_HAVE_CUDA
  if (!UsesGpuLockstep(frame, options)) return std::nullopt;
  std::optional<cpu::CrossProducts> shared;
  try {
    shared = cpu::BuildCrossProducts(frame, ThetaLayout(frame));
  } catch (const Error&) {
    return std::nullopt;  // each response's Fit reports it, as without lock-step
  }
  gpu::HostClusters design = gpu::PackClusters(*shared);
  Status status;
  std::unique_ptr<GpuResponseBatch> batch =
      GpuResponseBatch::Create(design, kLockstepGroup, &status);
  if (batch == nullptr) return std::nullopt;
  ModelFrame reported = frame;
  reported.used_rows = reported_rows;
  std::vector<ResponseOutcome> outcomes(responses.size());
  for (size_t k = 0; k < responses.size(); ++k) outcomes[k].response = responses[k];
  std::exception_ptr failure;
  const auto report = [&](size_t k) {
    if (!on_done) return true;
    try {
      on_done(outcomes[k]);
    } catch (...) {
      failure = std::current_exception();
      return false;
    }
    return true;
  };
  FitResponsesLockstep(reported, *shared, design, *batch, options, Backend::kGpu, prepare, outcomes,
                       report);
  if (failure) std::rethrow_exception(failure);
  return outcomes;
#else
  (void)frame;
  (void)reported_rows;
  (void)responses;
  (void)prepare;
  (void)options;
  (void)on_done;
  return std::nullopt;
#endif
}

}  // namespace lmm::batch
