// Covariance of the variance parameters from an information matrix: its inverse, or where it is
// singular (a parameter the data do not inform) the Moore-Penrose pseudo-inverse, as pbkrtest
// falls back to ginv(). The decision is made on the Jacobi-scaled matrix D^{-1/2} I D^{-1/2}
// (D = diag I), so it does not depend on the units of the parameters.
#pragma once

#include <Eigen/Dense>

namespace lmm::inference::ddf {

Eigen::MatrixXd InverseInformation(const Eigen::MatrixXd& information, double rel_tol = 1e-10);

}  // namespace lmm::inference::ddf
