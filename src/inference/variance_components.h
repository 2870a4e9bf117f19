// Variance components with standard errors and confidence intervals, as Stata's `mixed` reports
// them: observed information of the likelihood (ML) or restricted likelihood (REML) with beta
// profiled out, in Stata's metric (StataMetric), by the delta method to the reported scale.
#pragma once

#include <span>
#include <vector>

#include "likelihood/evaluator.h"
#include "lmm/fit_result.h"

namespace lmm::inference {

struct VarianceComponentTable {
  std::vector<VarianceComponent> terms;  // per term in formula order: variances, then covariances
  VarianceComponent residual;
  Eigen::MatrixXd alpha_covariance;      // covariance of Stata's parameters (NaN where fixed)
};

// `evaluator` is left updated at `theta_hat`. `level` is the confidence level (0.95).
// Parameters on the boundary (a zero SD, a correlation of +-1) are held fixed: their SEs and
// intervals are NaN, as Stata leaves them empty.
VarianceComponentTable EstimateVarianceComponents(Evaluator& evaluator, const ModelFrame& frame,
                                                  std::span<const double> theta_hat, bool reml,
                                                  double level = 0.95);

// -2 log-likelihood (ML) or -2 log restricted likelihood (REML) at (theta, sigma^2), beta profiled
// out [Stata mixed, Methods and formulas; Bates et al. 2015, eqs. 32-41]. NaN when Update fails.
double UnprofiledDeviance(Evaluator& evaluator, std::span<const double> theta, double sigma2,
                          bool reml);

}  // namespace lmm::inference
