// Cross-validation cases that lmmgpu is known not to fit to the optimum, with the evidence.
#pragma once

#include <string>

namespace lmm::crossval {

// Why lmmgpu may stop short on reference `name` (it must then say so: converged false, and
// still reach lme4's own log-likelihood), or nullptr when the whole fit is compared.
inline const char* KnownNonConvergence(const std::string& name) {
  // y ~ xbig + (1 + xbig | g) with xbig = 1e6 + x: at the optimum (the fit in x carried over)
  // theta is about (2.9e5, -0.29, 3e-7) on the scale where BOBYQA starts at 1 with steps of 0.05
  // (intercept SD 6e5 against 2 for the residual, correlation -1 + 1e-12). lmmgpu stops at the
  // random-intercept fit with the slope variance at ~1e-12 (REML log-likelihood -297.141 against
  // -293.888; ML -295.851 against -292.908) and reports converged = false (scaled gradient
  // 1e2-2e3). lme4 1.1-31 stops at the same point with tight tolerances and 20-35 units lower with
  // its default ones. Centring x (or the random-slope column) avoids it.
  if (name == "offset_slope_reml" || name == "offset_slope_ml")
    return "random slope on a covariate offset by 1e6: theta badly scaled";
  return nullptr;
}

}  // namespace lmm::crossval
