// Fixed-effects table and the Wald test of all fixed effects but the intercept.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "lmm/fit_result.h"

namespace lmm::inference {

// Large-sample (normal) table: z = estimate / SE, two-sided p, estimate -+ z_{(1+level)/2} SE.
// SEs are the square roots of diag(cov_beta) = sigma^2 (R_X'R_X)^{-1}.
std::vector<FixedEffect> FixedEffectsTable(const std::vector<std::string>& names,
                                           const Eigen::VectorXd& beta,
                                           const Eigen::MatrixXd& cov_beta, double level = 0.95);

// Stata's model Wald chi2: beta_s' cov(beta_s)^{-1} beta_s over the columns other than
// "(Intercept)", df = their number. Returns false when there are none.
bool WaldTestAllButIntercept(const std::vector<std::string>& names, const Eigen::VectorXd& beta,
                             const Eigen::MatrixXd& cov_beta, WaldTest* test);

}  // namespace lmm::inference
