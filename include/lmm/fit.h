// Fitting a model frame: estimation (ML/REML) and the full set of results.
#pragma once

#include "lmm/fit_result.h"
#include "lmm/model_frame.h"

namespace lmm {

enum class BackendChoice { kAuto, kCpu, kGpu };

struct FitOptions {
  bool reml = true;
  int threads = 0;  // 0: all cores
  BackendChoice backend = BackendChoice::kAuto;
  double level = 0.95;  // confidence level of the intervals
  bool conditional_modes = true;  // BLUPs, their conditional variances, fitted values
};

// Throws lmm::Error(kNumerical) when the objective cannot be evaluated, and kUsage when the
// requested backend is not available. A fit that did not converge or is singular is reported in
// FitResult::convergence, not thrown.
FitResult Fit(const ModelFrame& frame, const FitOptions& options);

}  // namespace lmm
