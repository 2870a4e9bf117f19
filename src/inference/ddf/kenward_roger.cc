#include "inference/ddf/kenward_roger.h"

#include <cmath>
#include <limits>

namespace lmm::inference::ddf {

Eigen::MatrixXd KenwardRogerCovariance(const VariancePieces& pieces, const Eigen::MatrixXd& w) {
  const Eigen::MatrixXd& c = pieces.cov_beta;
  const Eigen::Index p = c.rows();
  Eigen::MatrixXd u = Eigen::MatrixXd::Zero(p, p);
  for (int k = 0; k < pieces.m(); ++k)
    for (int j = 0; j < pieces.m(); ++j) {
      if (w(k, j) == 0) continue;
      u += w(k, j) * (pieces.Q(k, j) - pieces.p[k] * c * pieces.p[j]);
    }
  Eigen::MatrixXd adjusted = c + 2 * c * u * c;
  return 0.5 * (adjusted + adjusted.transpose());
}

HypothesisTest KenwardRogerTest(const VariancePieces& pieces, const Eigen::MatrixXd& w,
                                const Eigen::MatrixXd& adjusted, const Eigen::VectorXd& beta,
                                const Eigen::MatrixXd& l, const Eigen::VectorXd& rhs) {
  const Eigen::MatrixXd& c = pieces.cov_beta;
  const int m = pieces.m();
  const Eigen::FullPivLU<Eigen::MatrixXd> lu(l);
  const auto q = static_cast<double>(lu.rank());
  const Eigen::MatrixXd theta = l.transpose() * (l * c * l.transpose()).ldlt().solve(l);
  std::vector<Eigen::MatrixXd> u(static_cast<size_t>(m));
  Eigen::VectorXd tr(m);
  for (int k = 0; k < m; ++k) {
    u[k] = theta * c * pieces.p[k] * c;
    tr(k) = u[k].trace();
  }
  double a1 = 0, a2 = 0;
  for (int k = 0; k < m; ++k)
    for (int j = 0; j < m; ++j) {
      a1 += w(k, j) * tr(k) * tr(j);
      a2 += w(k, j) * u[k].cwiseProduct(u[j].transpose()).sum();
    }
  const double b = (a1 + 6 * a2) / (2 * q);
  const double g = ((q + 1) * a1 - (q + 4) * a2) / ((q + 2) * a2);
  const double den = 3 * q + 2 * (1 - g);
  const double c1 = g / den, c2 = (q - g) / den, c3 = (q + 2 - g) / den;
  double v0 = 1 + c1 * b;
  const double v1 = 1 - c2 * b, v2 = 1 - c3 * b;
  if (std::abs(v0) < 1e-10) v0 = 0;
  const double x = 1 - a2 / q;
  const double ratio = std::abs(x) < 1e-14 && std::abs(v1) < 1e-14 ? 1 : x / v1;
  const double rho = ratio * ratio * v0 / (v2 * q);
  const double dendf = 4 + (q + 2) / (q * rho - 1);
  const double scale = std::abs(dendf - 2) < 0.01 ? 1 : dendf * x / (dendf - 2);

  HypothesisTest out;
  const Eigen::VectorXd d = l * beta - rhs;
  const double wald = d.dot((l * adjusted * l.transpose()).ldlt().solve(d));
  out.numdf = static_cast<int>(q);
  out.dendf = dendf;
  out.f = scale * wald / q;
  if (l.rows() == 1) {
    out.estimate = d(0);
    out.std_error = std::sqrt(l.row(0).dot(adjusted * l.row(0).transpose()));
  } else {
    out.estimate = out.std_error = std::numeric_limits<double>::quiet_NaN();
  }
  return out;
}

}  // namespace lmm::inference::ddf
