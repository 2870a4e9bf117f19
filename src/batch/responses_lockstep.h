// `fit --responses` in lock-step (likelihood/lockstep_coordinator.h): groups of responses whose
// fits run side by side, one host thread each, every round of their evaluations done by one
// batched call (on the GPU: one launch for the whole group, kernels/response_kernels.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "batch/responses.h"
#include "batch/responses_data.h"
#include "likelihood/cpu/cross_products.h"
#include "likelihood/evaluator.h"
#include "likelihood/gpu/cluster_pack.h"
#include "likelihood/response_batch.h"
#include "lmm/fit.h"
#include "lmm/model_frame.h"

namespace lmm::batch {

// Responses per group: batch capacity, lowered so that the group's copies of the model frame
// (one per fit thread) stay within 4 GiB.
int LockstepGroupSize(const ModelFrame& frame, int capacity);

// What the lock-step groups did: batched calls (launches on the GPU) and evaluations in all.
struct LockstepStats {
  int groups = 0;
  int64_t rounds = 0;
  int64_t evaluations = 0;
};

// Fits responses 0 .. outcomes.size()-1 on `frame`'s design (`shared`: its
// cpu::BuildCrossProducts, one random-effect term; `design`: gpu::PackClusters(shared), the
// design `batch` was made for) in groups of LockstepGroupSize, in order. Response k is
// prepare(k) (frame with its y; what prepare throws fails that response), fitted as Fit would but
// on a LockstepEvaluator (FitWithEvaluator; result backend `backend`). Each outcome gets status,
// exit code, message, fit and seconds (outcome.response is left as the caller set it). After each
// group, report(k) is called for its responses in order; when it returns false no further group
// is started. `stats` (optional) receives the groups' statistics.
void FitResponsesLockstep(const ModelFrame& frame, const cpu::CrossProducts& shared,
                          const gpu::HostClusters& design, ResponseBatch& batch,
                          const FitOptions& options, Backend backend,
                          const std::function<PreparedResponse(size_t k)>& prepare,
                          std::vector<ResponseOutcome>& outcomes,
                          const std::function<bool(size_t k)>& report,
                          LockstepStats* stats = nullptr);

// FitResponses' GPU path: when UsesGpuLockstep(frame, options), the design's cross-products can be
// built and a GPU batch can be made, fits every response (prepare(k) for responses[k]) in
// lock-step on the GPU with FitResponsesLockstep, calling on_done (may be empty) for each outcome
// in response order and rethrowing what it throws after stopping; `reported_rows`: the frame's
// used rows as the results report them. nullopt otherwise (the caller fits as before); always
// nullopt without CUDA.
std::optional<std::vector<ResponseOutcome>> FitResponsesOnGpu(
    const ModelFrame& frame, const std::vector<int64_t>& reported_rows,
    const std::vector<std::string>& responses,
    const std::function<PreparedResponse(size_t k)>& prepare, const FitOptions& options,
    const std::function<void(const ResponseOutcome&)>& on_done);

}  // namespace lmm::batch
