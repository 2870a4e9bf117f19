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
  // s(a) = f(x + h e_a) + f(x - h e_a) - 2 f0 = h^2 H_aa + O(h^4).
  Eigen::VectorXd s(k);
  for (int a = 0; a < k; ++a) {
    s(a) = at(a, step, -1, 0) + at(a, -step, -1, 0) - 2 * f0;
    hess(a, a) = s(a) / (step * step);
  }
  // f(x + u) + f(x - u) - 2 f0 = u'Hu + O(h^4) with u = h (e_a + e_b), so
  // H_ab = (f(x + u) + f(x - u) - 2 f0 - s(a) - s(b)) / (2 h^2) + O(h^2): two points per pair
  // (the four-point formula has the same order).
  for (int a = 0; a < k; ++a)
    for (int b = 0; b < a; ++b)
      hess(a, b) = hess(b, a) =
          (at(a, step, b, step) + at(a, -step, b, -step) - 2 * f0 - s(a) - s(b)) /
          (2 * step * step);
  return hess;
}

}  // namespace lmm::inference
