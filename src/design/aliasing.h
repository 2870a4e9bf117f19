// Rank-deficient fixed-effects designs: which columns to drop, as R's qr() (LINPACK dqrdc2) does.
#pragma once

#include <Eigen/Dense>
#include <vector>

namespace lmm::design {

// Indices of the columns of `x` that are linear combinations of earlier columns, found by a
// Householder QR with R's limited column pivoting: a column whose norm after the preceding
// reflections falls below `tolerance` times its original norm is moved to the end (aliased).
// lme4 drops exactly these columns (tolerance 1e-7, lme4's default).
std::vector<int> AliasedColumns(const Eigen::MatrixXd& x, double tolerance = 1e-7);

}  // namespace lmm::design
