// Fit() for FitOptions::residuals: estimation by FitResidualCore, then the results Fit() reports
// (fixed effects, Wald test, variance components with joint SEs, LR test against the linear model)
// and the residual structure's parameters.
#pragma once

#include "lmm/fit.h"

namespace lmm::residual {

// The backend: --backend gpu runs the optimization on GpuResidualEvaluator (one random-effect term
// whose levels are the residual clusters; else a usage error naming why), auto does so from
// 100,000 rows on when that path is usable, else the CPU (the inference after the fit runs on
// the CPU either way). Throws lmm::Error(kUsage) for a bad spec, a --ddf method (not available
// with residual structures), --backend gpu where the GPU path is not usable; kData for data that
// break the structure's rules; kNumerical as FitCore.
FitResult FitWithResiduals(const ModelFrame& frame, const FitOptions& options);

}  // namespace lmm::residual
