// Starting values of theta for the optimizer. lme4 starts every Lambda_t at the identity; moment
// estimates from the OLS residuals r start BOBYQA near the optimum and save evaluations (the
// optimum does not depend on the start; only the path does):
//  - all terms random intercepts: one-way ANOVA of r on each grouping factor (Searle, Casella &
//    McCulloch, Variance Components, 1992, sec. 3.5). InstEval: 55 BOBYQA evaluations instead of
//    110.
//  - otherwise, per term t with columns Z and levels l (A_l = Z_l'Z_l, u_l = Z_l'r_l): the
//    within-level residual variance s_t^2 = sum_l (r_l'r_l - u_l'A_l^+ u_l) / (n - sum_l rank A_l)
//    and Sigma_t solving sum_l A_l Sigma_t A_l = sum_l (u_l u_l' - s_t^2 A_l), the expectation
//    E[u_l u_l'] = A_l Sigma_t A_l + sigma^2 A_l with the fixed effects' projection ignored
//    (for q = 1, Z = 1 it is the ANOVA estimator with weights n_l^2). sigma^2 = min_t s_t^2. The
//    1M-row, 100k-cluster `(1 + x1 | g)` benchmark: 36 BOBYQA evaluations instead of 57.
// Each term's Sigma_t / sigma^2 is then clamped (ClampedRelative in start_values.cc): standard
// deviations, in units of the root mean squares of the term's columns, into [0.1, 10] (not on the
// boundary, where BOBYQA moves away slowly, and not so large that a poor estimate misleads);
// correlations into +-0.9, and set to 0 where a variance is below the lower clamp.
#pragma once

#include <optional>
#include <vector>

#include "lmm/model_frame.h"
#include "model/theta_layout.h"

namespace lmm {

// theta (layout order) from the moments, or nullopt when the frame holds too few rows, OLS fails,
// a term has more than kMaxMomentColumns columns, or no term's moments can be estimated. A term
// whose moments cannot be estimated (every level has as many columns as rows) keeps lme4's start.
std::optional<std::vector<double>> MomentStart(const ModelFrame& frame, const ThetaLayout& layout);

// Terms with more columns take lme4's start (the moment system has q^2 unknowns per level).
inline constexpr int kMaxMomentColumns = 8;

}  // namespace lmm
