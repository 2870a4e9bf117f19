#include "inference/fixed_effects.h"

#include <cmath>
#include <limits>

#include "inference/distributions.h"

namespace lmm::inference {

std::vector<FixedEffect> FixedEffectsTable(const std::vector<std::string>& names,
                                           const Eigen::VectorXd& beta,
                                           const Eigen::MatrixXd& cov_beta, double level) {
  const double z = NormalQuantile(0.5 + level / 2);
  std::vector<FixedEffect> table;
  for (Eigen::Index j = 0; j < beta.size(); ++j) {
    FixedEffect fe;
    fe.term = names[static_cast<size_t>(j)];
    fe.estimate = beta(j);
    fe.std_error = std::sqrt(cov_beta(j, j));
    fe.statistic = fe.estimate / fe.std_error;
    fe.df = std::numeric_limits<double>::quiet_NaN();
    fe.p_value = NormalTwoSidedP(fe.statistic);
    fe.conf_low = fe.estimate - z * fe.std_error;
    fe.conf_high = fe.estimate + z * fe.std_error;
    table.push_back(fe);
  }
  return table;
}

bool WaldTestAllButIntercept(const std::vector<std::string>& names, const Eigen::VectorXd& beta,
                             const Eigen::MatrixXd& cov_beta, WaldTest* test) {
  std::vector<Eigen::Index> keep;
  for (size_t j = 0; j < names.size(); ++j)
    if (names[j] != "(Intercept)") keep.push_back(static_cast<Eigen::Index>(j));
  if (keep.empty()) return false;
  const auto k = static_cast<Eigen::Index>(keep.size());
  Eigen::VectorXd b(k);
  Eigen::MatrixXd v(k, k);
  for (Eigen::Index i = 0; i < k; ++i) {
    b(i) = beta(keep[i]);
    for (Eigen::Index j = 0; j < k; ++j) v(i, j) = cov_beta(keep[i], keep[j]);
  }
  test->statistic = b.dot(v.ldlt().solve(b));
  test->df = static_cast<int>(k);
  test->p_value = ChiSquaredUpperP(test->statistic, test->df);
  return true;
}

}  // namespace lmm::inference
