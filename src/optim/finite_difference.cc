#include "optim/finite_difference.h"

#include <algorithm>
#include <cmath>

namespace lmm {
namespace {

// Smallest |x| used to scale a step, so that parameters at or near 0 get a usable step.
constexpr double kMinScale = 1e-2;

}  // namespace

Derivatives FiniteDifferences(const ObjectiveFunction& f, const std::vector<double>& x, double f0,
                              const std::vector<double>& lower, const std::vector<double>& upper,
                              double relative_step, bool with_hessian) {
  const int k = static_cast<int>(x.size());
  Derivatives d;
  d.gradient = Eigen::VectorXd::Zero(k);
  d.hessian = Eigen::MatrixXd::Zero(k, k);
  d.at_bound.assign(k, false);
  std::vector<double>& h = d.steps;
  h.assign(k, 0.0);
  d.center = x;
  std::vector<double> sign(k, 1.0), f_step(k), f_minus(k);
  std::vector<double> point = x;
  auto eval = [&](std::span<const double> p) {
    ++d.evaluations;
    return f(p);
  };
  auto eval_at = [&](int i, double di, int j, double dj) {
    point[i] += di;
    if (j >= 0) point[j] += dj;
    const double v = eval(point);
    point[i] = x[i];
    if (j >= 0) point[j] = x[j];
    return v;
  };
  for (int i = 0; i < k; ++i) {
    h[i] = relative_step * std::max(std::abs(x[i]), kMinScale);
    const bool near_lower = x[i] - h[i] < lower[i];
    const bool near_upper = x[i] + h[i] > upper[i];
    if (near_lower || near_upper) {
      // Three-point one-sided formulas, second order, away from the bound.
      d.at_bound[i] = true;
      sign[i] = near_lower ? 1.0 : -1.0;
      const double s = sign[i] * h[i];
      const double f1 = eval_at(i, s, -1, 0);
      const double f2 = eval_at(i, 2 * s, -1, 0);
      f_step[i] = f1;
      d.gradient(i) = (-3 * f0 + 4 * f1 - f2) / (2 * s);
      d.hessian(i, i) = (f0 - 2 * f1 + f2) / (s * s);
      continue;
    }
    // Central differences at h and h/2, Richardson-extrapolated: error O(h^4).
    const double fp = eval_at(i, h[i], -1, 0);
    const double fm = eval_at(i, -h[i], -1, 0);
    f_step[i] = fp;
    f_minus[i] = fm;
    if (!with_hessian) {
      const double fp2 = eval_at(i, h[i] / 2, -1, 0);
      const double fm2 = eval_at(i, -h[i] / 2, -1, 0);
      d.gradient(i) = (4 * (fp2 - fm2) / h[i] - (fp - fm) / (2 * h[i])) / 3;
      continue;
    }
    const double fp2 = eval_at(i, h[i] / 2, -1, 0);
    const double fm2 = eval_at(i, -h[i] / 2, -1, 0);
    d.gradient(i) = (4 * (fp2 - fm2) / h[i] - (fp - fm) / (2 * h[i])) / 3;
    const double h1 = (fp - 2 * f0 + fm) / (h[i] * h[i]);
    const double h2 = (fp2 - 2 * f0 + fm2) / (h[i] * h[i] / 4);
    d.hessian(i, i) = (4 * h2 - h1) / 3;
  }
  if (!with_hessian) return d;
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < i; ++j) {
      double v;
      if (!d.at_bound[i] && !d.at_bound[j]) {
        // f(x + u) + f(x - u) - 2 f0 = u'Hu + O(h^4) for u = h_i e_i + h_j e_j; the diagonal
        // points take out h_i^2 H_ii and h_j^2 H_jj. Error O(h^2), as the four-point formula,
        // with half its evaluations.
        v = (eval_at(i, h[i], j, h[j]) + eval_at(i, -h[i], j, -h[j]) - f_step[i] - f_minus[i] -
             f_step[j] - f_minus[j] + 2 * f0) /
            (2 * h[i] * h[j]);
      } else {
        const double si = sign[i] * h[i], sj = sign[j] * h[j];
        v = (eval_at(i, si, j, sj) - f_step[i] - f_step[j] + f0) / (si * sj);
      }
      d.hessian(i, j) = d.hessian(j, i) = v;
    }
  return d;
}

}  // namespace lmm
