// Fits a linear mixed model with a residual structure: BOBYQA (+ Newton polish) over
// [theta, u] (u: the structure's unconstrained parameters) on the profiled objective of a
// ResidualEvaluator, then the estimates at the optimum and lme4-style convergence diagnostics over
// the whole vector. The counterpart of FitCore (likelihood/fit_core.h) for these models.
//
// options.backend == kGpu (CUDA builds): the objective is GpuResidualEvaluator's
// (likelihood/gpu/gpu_residual_evaluator.h; one random-effect term whose levels are the residual
// clusters), and that evaluator is handed back for the inference.
#pragma once

#include <memory>
#include <vector>

#include "likelihood/fit_core.h"
#include "likelihood/residual/whitened_evaluator.h"
#include "residual/clusters.h"
#include "residual/residual_structure.h"

namespace lmm {

struct ResidualFitCoreResult {
  FitCoreResult core;     // theta, beta, sigma2, terms...; convergence over [theta, u]
  std::vector<double> u;  // the residual parameters at the optimum
  std::vector<double> u_lower, u_upper;
  Backend backend = Backend::kCpu;  // the backend that ran the optimization
};

// The structure and its clusters must outlive the call; `evaluator` (if given) receives the
// evaluator, left at the optimum. Throws lmm::Error(kNumerical) when the objective cannot be
// evaluated at the start or the optimum, or the GPU fails; kUsage when options.backend is kGpu
// and the GPU path cannot take the model (or the build has no CUDA backend).
ResidualFitCoreResult FitResidualCore(const ModelFrame& frame, const residual::Clusters& clusters,
                                      residual::ResidualStructure& structure,
                                      const FitCoreOptions& options,
                                      std::unique_ptr<WhitenedEvaluator>* evaluator = nullptr);

}  // namespace lmm
