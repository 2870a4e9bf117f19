// Fit() for FitOptions::residuals: estimation by FitResidualCore, then the results Fit() reports
// (fixed effects, Wald test, variance components with joint SEs, LR test against the linear model)
// and the residual structure's parameters.
#pragma once

#include "lmm/fit.h"

namespace lmm::residual {

// Throws lmm::Error(kUsage) for a bad spec, a --ddf method (not available with residual
// structures), the GPU backend; kData for data that break the structure's rules; kNumerical as
// FitCore.
FitResult FitWithResiduals(const ModelFrame& frame, const FitOptions& options);

}  // namespace lmm::residual
