// Starting values of theta for the optimizer. lme4 starts every relative standard deviation at 1;
// for models whose terms are all random intercepts, moment estimates (one-way ANOVA of the OLS
// residuals on each grouping factor, as in Searle, Casella & McCulloch, Variance Components,
// 1992, sec. 3.5) start BOBYQA near the optimum and save about half its evaluations (InstEval: 55
// instead of 110). The optimum does not depend on the start; only the path does.
#pragma once

#include <optional>
#include <vector>

#include "lmm/model_frame.h"
#include "model/theta_layout.h"

namespace lmm {

// theta (layout order) from the moments, or nullopt when the model has a term that is not a
// plain random intercept or the frame holds no rows.
std::optional<std::vector<double>> MomentStart(const ModelFrame& frame, const ThetaLayout& layout);

}  // namespace lmm
