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

// Evaluations the caller already has: a central-difference stencil in theta (the fit's polish:
// center +- steps_i e_i, center +- (steps_i e_i + steps_j e_j)) and the objective's pieces at
// those and other thetas. When given, the information is differenced on that stencil (the
// center is within ~1e-6 of the estimate), so that its points cost no factorization.
struct KnownEvaluations {
  std::vector<double> center, steps;
  const PiecesByTheta* pieces = nullptr;
};

// `evaluator` is left updated at `theta_hat`. `level` is the confidence level (0.95).
// Parameters on the boundary (a zero SD, a correlation of +-1) are held fixed: their SEs and
// intervals are NaN, as Stata leaves them empty.
VarianceComponentTable EstimateVarianceComponents(Evaluator& evaluator, const ModelFrame& frame,
                                                  std::span<const double> theta_hat, bool reml,
                                                  double level = 0.95,
                                                  const KnownEvaluations& known = {});

// -2 log-likelihood (ML) or -2 log restricted likelihood (REML) at (theta, sigma^2), beta profiled
// out [Stata mixed, Methods and formulas; Bates et al. 2015, eqs. 32-41]. NaN when Update fails;
// throws lmm::Error(kNumerical) when the device failed (kDevice).
double UnprofiledDeviance(Evaluator& evaluator, std::span<const double> theta, double sigma2,
                          bool reml);

}  // namespace lmm::inference
