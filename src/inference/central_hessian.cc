#include "inference/central_hessian.h"

namespace lmm::inference {

Eigen::MatrixXd CentralHessian(const std::function<double(const Eigen::VectorXd&)>& f,
                               const Eigen::VectorXd& x, const std::vector<int>& free,
                               double step) {
  const int k = static_cast<int>(free.size());
  Eigen::MatrixXd hess(k, k);
  const double f0 = f(x);
  auto at = [&](int a, double da, int b, double db) {
    Eigen::VectorXd y = x;
    y(free[a]) += da;
    if (b >= 0) y(free[b]) += db;
    return f(y);
  };
  for (int a = 0; a < k; ++a) {
    hess(a, a) = (at(a, step, -1, 0) - 2 * f0 + at(a, -step, -1, 0)) / (step * step);
    for (int b = 0; b < a; ++b)
      hess(a, b) = hess(b, a) = (at(a, step, b, step) - at(a, step, b, -step) -
                                 at(a, -step, b, step) + at(a, -step, b, -step)) /
                                (4 * step * step);
  }
  return hess;
}

}  // namespace lmm::inference
