// The variance parameters phi of Kenward & Roger (1997) and pbkrtest: var(y) is linear in them,
//   V = sigma^2 I + sum_k phi_k Z_t(k) (I_levels (x) E_k) Z_t(k)',
// where E_k is a fixed symmetric q_t x q_t pattern of random-effect term t(k). For an unstructured
// term phi runs over the lower triangle of Sigma_t (E = e_i e_i' for a variance, e_i e_j' + e_j
// e_i' for a covariance); a diagonal term has its variances; a homogeneous diagonal term one
// variance (E = I); a homogeneous compound-symmetry term Sigma = a I + b 11' has (a, b).
// Heterogeneous compound symmetry is not linear in any such basis and is refused.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "lmm/model_frame.h"

namespace lmm::inference::ddf {

struct VarianceParameter {
  int term = -1;      // ModelFrame term; -1: the residual variance (G = I)
  Eigen::MatrixXd e;  // q_t x q_t pattern (empty for the residual)
  std::string name;   // "Subject: var((Intercept))", "Subject: cov((Intercept),Days)", "Residual"
  double value = 0;   // phi at the estimate
};

// The parameters for `frame` at the term covariances `sigma` (Sigma_t, ModelFrame order) and the
// residual variance sigma2, the residual last. Throws lmm::UsageError for heterogeneous cs().
std::vector<VarianceParameter> CovarianceBasis(const ModelFrame& frame,
                                               const std::vector<Eigen::MatrixXd>& sigma,
                                               double sigma2);

}  // namespace lmm::inference::ddf
