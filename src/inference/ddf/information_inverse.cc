#include "inference/ddf/information_inverse.h"

#include <cmath>

namespace lmm::inference::ddf {

Eigen::MatrixXd InverseInformation(const Eigen::MatrixXd& information, double rel_tol) {
  const Eigen::Index m = information.rows();
  Eigen::VectorXd scale(m);
  for (Eigen::Index i = 0; i < m; ++i) {
    const double d = information(i, i);
    scale(i) = d > 0 && std::isfinite(d) ? 1 / std::sqrt(d) : 0.0;
  }
  const Eigen::MatrixXd scaled = scale.asDiagonal() * information * scale.asDiagonal();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(scaled);
  const Eigen::VectorXd& values = eig.eigenvalues();
  const double top = values.cwiseAbs().maxCoeff();
  Eigen::VectorXd inv(m);
  for (Eigen::Index i = 0; i < m; ++i)
    inv(i) = std::abs(values(i)) > rel_tol * top ? 1 / values(i) : 0.0;
  const Eigen::MatrixXd scaled_inverse =
      eig.eigenvectors() * inv.asDiagonal() * eig.eigenvectors().transpose();
  return scale.asDiagonal() * scaled_inverse * scale.asDiagonal();
}

}  // namespace lmm::inference::ddf
