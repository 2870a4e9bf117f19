// Fitting one response of `fit --responses` on cross-products shared by all responses: the design
// (X, the random-effect terms) is passed over once, and each response only replaces the pieces
// that depend on y (likelihood/cpu/response_update.h) instead of rebuilding them.
#pragma once

#include <optional>
#include <string>

#include "likelihood/cpu/cross_products.h"
#include "likelihood/evaluator.h"
#include "lmm/fit.h"
#include "lmm/fit_result.h"
#include "lmm/model_frame.h"

namespace lmm::batch {

// The cross-products of `frame` (the shared design, any response) when Fit(frame', options) for a
// frame' differing only in the response would fit on the CPU evaluator: no residual structure,
// the backend resolves to the CPU as Fit resolves it (cpu; auto below 100k rows, or where the GPU
// probe says the GPU is not usable), and the options are consistent (no Satterthwaite or
// Kenward-Roger with ML). nullopt otherwise, and when the cross-products cannot be built (the
// error then comes from each response's Fit, as without sharing). cpu::ReplaceResponse and
// BuildCrossProducts form the response pieces with the same FillResponsePieces, so a shared
// design gives each response's fit bit for bit.
std::optional<cpu::CrossProducts> SharedCrossProducts(const ModelFrame& frame,
                                                      const FitOptions& options);

// Fit(frame, options), with the evaluator built from `shared` (SharedCrossProducts of a frame
// equal to `frame` except in the response) with frame.y's pieces replaced: the same result, bit
// for bit, in O(n) instead of a pass that sorts the rows by level. `response_hash` must be
// inference::ResponseHash(frame) (ResponseHashes computes several at once). Mirrors api/fit.cc's
// Fit and inference::CopyFrameFacts for the CPU backend (the batch tests compare the two on whole
// JSON results).
FitResult FitWithSharedDesign(const ModelFrame& frame, const FitOptions& options,
                              const cpu::CrossProducts& shared, const std::string& response_hash);

// Whether `fit --responses` fits `frame`'s responses in lock-step on the GPU
// (responses_lockstep.h): one random-effect term on the one-term kernels (UsesOneTermKernels), no
// residual structure, consistent options (as SharedCrossProducts), and the backend resolves to the
// GPU as Fit resolves it (gpu: when the probe finds it usable, else each response's Fit gives the
// usage error as before; auto: from 100k rows, when usable). Always false without CUDA.
bool UsesGpuLockstep(const ModelFrame& frame, const FitOptions& options);

// Fit(frame, options) on an evaluator the caller made for `frame` (a lock-step evaluator): FitCore
// and the report as FitWithSharedDesign does, with `backend` as the result's backend. `seconds`
// counts from the call.
FitResult FitWithEvaluator(const ModelFrame& frame, const FitOptions& options, Evaluator& ev,
                           Backend backend, const std::string& response_hash);

}  // namespace lmm::batch
