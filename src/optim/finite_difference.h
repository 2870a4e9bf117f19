// Central finite-difference gradient and Hessian of a function under bounds, as lme4's
// convergence check (deriv12) computes them: step h_i = relative_step * max(|x_i|, 1) (lme4 uses
// delta = 1e-4 for the check); a coordinate within h_i of a bound is differenced one-sidedly
// (three points, second order) away from the bound.
#pragma once

#include <Eigen/Dense>
#include <vector>

#include "optim/bobyqa.h"

namespace lmm {

// f0 = f(x). Non-finite function values propagate into the result. Without the Hessian, the
// result's hessian is zero (at_bound and the gradient are as with it).
Derivatives FiniteDifferences(const ObjectiveFunction& f, const std::vector<double>& x, double f0,
                              const std::vector<double>& lower, const std::vector<double>& upper,
                              double relative_step, bool with_hessian = true);

}  // namespace lmm
