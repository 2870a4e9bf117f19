#include "likelihood/start_values.h"

#include <algorithm>
#include <cmath>

namespace lmm {
namespace {

// Relative standard deviations are started within these bounds: not on the boundary (BOBYQA
// moves away from a zero start slowly) and not so large that a poor moment estimate misleads.
constexpr double kMinStart = 0.1;
constexpr double kMaxStart = 10.0;

bool IsRandomIntercept(const RandomEffectTerm& t, int64_t n) {
  if (t.q() != 1 || t.z.rows() != n || t.levels < 2) return false;
  return (t.z.col(0).array() == 1.0).all();
}

}  // namespace

std::optional<std::vector<double>> MomentStart(const ModelFrame& frame, const ThetaLayout& layout) {
  const int64_t n = frame.n();
  const int p = frame.p();
  if (n <= p + 1 || frame.random.empty() || frame.x.rows() != n) return std::nullopt;
  for (const RandomEffectTerm& t : frame.random)
    if (!IsRandomIntercept(t, n)) return std::nullopt;
  // OLS residuals by the normal equations (p is small; only a rough start is needed).
  Eigen::VectorXd r = frame.y;
  if (p > 0) {
    const Eigen::LDLT<Eigen::MatrixXd> ldlt(frame.x.transpose() * frame.x);
    if (ldlt.info() != Eigen::Success) return std::nullopt;
    r -= frame.x * ldlt.solve(frame.x.transpose() * frame.y);
  }
  const double ss = r.squaredNorm();
  const double total = ss / static_cast<double>(n - p);
  if (!(total > 0) || !std::isfinite(total)) return std::nullopt;
  std::vector<double> variance(frame.random.size());
  double sum = 0;
  for (size_t k = 0; k < frame.random.size(); ++k) {
    const RandomEffectTerm& t = frame.random[k];
    const int64_t levels = t.levels;
    std::vector<double> s(levels, 0.0), c(levels, 0.0);
    for (int64_t i = 0; i < n; ++i) {
      s[t.level[i]] += r(i);
      c[t.level[i]] += 1;
    }
    double between = 0, sq_counts = 0, used = 0;
    for (int64_t l = 0; l < levels; ++l) {
      if (c[l] == 0) continue;
      between += s[l] * s[l] / c[l];
      sq_counts += c[l] * c[l];
      ++used;
    }
    if (used < 2 || n <= used) continue;
    const double mean = r.sum() / static_cast<double>(n);
    const double msb = (between - n * mean * mean) / (used - 1);
    const double msw = (ss - between) / static_cast<double>(n - used);
    const double n0 = (n - sq_counts / n) / (used - 1);
    variance[k] = std::max(0.0, (msb - msw) / n0);
    sum += variance[k];
  }
  const double residual = std::max(total - sum, 0.1 * total);
  std::vector<double> theta = layout.start();
  for (size_t k = 0; k < frame.random.size(); ++k)
    theta[layout.offset(static_cast<int>(k))] =
        std::clamp(std::sqrt(variance[k] / residual), kMinStart, kMaxStart);
  return theta;
}

}  // namespace lmm
