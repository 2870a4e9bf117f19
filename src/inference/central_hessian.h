// Hessian of a function by central differences over chosen coordinates, for the observed
// information of variance parameters in a metric where they lie on the whole real line.
#pragma once

#include <Eigen/Dense>
#include <functional>
#include <vector>

namespace lmm::inference {

// Step in Stata's metric (log SD, atanh r, log sigma): truncation error ~ h^2, rounding error
// ~ eps |f| / h^2; h = 5e-4 balances them for deviances up to ~1e6.
inline constexpr double kInformationStep = 5e-4;

// H(a, b) = d^2 f / dx_free[a] dx_free[b] at x: 3-point formula on the diagonal; off it the
// points x +- h (e_a + e_b) with the diagonal's (error O(h^2), as the 4-point formula).
// 1 + 2k + k(k-1) evaluations for k = free.size().
Eigen::MatrixXd CentralHessian(const std::function<double(const Eigen::VectorXd&)>& f,
                               const Eigen::VectorXd& x, const std::vector<int>& free,
                               double step = kInformationStep);

}  // namespace lmm::inference
