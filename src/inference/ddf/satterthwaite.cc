#include "inference/ddf/satterthwaite.h"

#include <cmath>
#include <limits>

namespace lmm::inference::ddf {

double SatterthwaiteDf(const VariancePieces& pieces, const Eigen::MatrixXd& cov_phi,
                       const Eigen::VectorXd& l) {
  const Eigen::VectorXd cl = pieces.cov_beta * l;
  const double v = l.dot(cl);
  Eigen::VectorXd g(pieces.m());
  for (int k = 0; k < pieces.m(); ++k) g(k) = cl.dot(pieces.p[k] * cl);
  const double var_v = g.dot(cov_phi * g);
  return var_v > 0 ? 2 * v * v / var_v : std::numeric_limits<double>::infinity();
}

double FaiCorneliusDendf(const Eigen::VectorXd& nu) {
  if (nu.size() == 1) return nu(0);
  if (nu.maxCoeff() - nu.minCoeff() < 1e-8) return nu.mean();
  if (nu.minCoeff() <= 2) return 2;
  const double e = (nu.array() / (nu.array() - 2)).sum();
  return 2 * e / (e - static_cast<double>(nu.size()));
}

HypothesisTest SatterthwaiteTest(const VariancePieces& pieces, const Eigen::MatrixXd& cov_phi,
                                 const Eigen::VectorXd& beta, const Eigen::MatrixXd& l,
                                 const Eigen::VectorXd& rhs) {
  HypothesisTest out;
  const Eigen::VectorXd d = l * beta - rhs;
  if (l.rows() == 1) {
    const Eigen::VectorXd row = l.row(0).transpose();
    out.numdf = 1;
    out.estimate = d(0);
    out.std_error = std::sqrt(row.dot(pieces.cov_beta * row));
    out.f = (d(0) / out.std_error) * (d(0) / out.std_error);
    out.dendf = SatterthwaiteDf(pieces, cov_phi, row);
    return out;
  }
  const Eigen::MatrixXd vl = l * pieces.cov_beta * l.transpose();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(vl);
  const Eigen::VectorXd& values = eig.eigenvalues();  // ascending
  const double tol =
      std::max(std::sqrt(std::numeric_limits<double>::epsilon()) * values.maxCoeff(), 0.0);
  std::vector<Eigen::Index> pos;
  for (Eigen::Index i = values.size() - 1; i >= 0; --i)
    if (values(i) > tol) pos.push_back(i);
  const auto r = static_cast<Eigen::Index>(pos.size());
  Eigen::VectorXd nu(r);
  double sum_t2 = 0;
  for (Eigen::Index i = 0; i < r; ++i) {
    const Eigen::VectorXd u = eig.eigenvectors().col(pos[i]);
    const Eigen::VectorXd row = l.transpose() * u;
    const double t = u.dot(d);
    sum_t2 += t * t / values(pos[i]);
    nu(i) = SatterthwaiteDf(pieces, cov_phi, row);
  }
  out.numdf = static_cast<int>(r);
  out.f = sum_t2 / static_cast<double>(r);
  out.dendf = FaiCorneliusDendf(nu);
  out.estimate = out.std_error = std::numeric_limits<double>::quiet_NaN();
  return out;
}

}  // namespace lmm::inference::ddf
