#include "design/aliasing.h"

#include <cmath>

namespace lmm::design {
namespace {

// The Gram fast path answers only when every column keeps at least this fraction of its norm
// after projection on the earlier ones, far above any tolerance the QR is asked for.
constexpr double kClearlyIndependent = 1e-2;
// Beyond this many columns the eigenvalues cost more than they save.
constexpr Eigen::Index kMaxGramColumns = 200;

// True when the columns of x are clearly linearly independent: the Gram matrix of x's columns
// scaled to unit norm has smallest eigenvalue above kClearlyIndependent^2. That eigenvalue bounds
// below the squared norm, relative to its own, of every column's part orthogonal to the earlier
// columns (a Schur complement of the Gram matrix), and the Gram matrix's rounding (at most about
// n eps in each entry) moves it by far less than the margin, so the QR below would alias nothing.
// false sends every other case to the QR.
bool ClearlyIndependent(const Eigen::MatrixXd& x) {
  const Eigen::Index p = x.cols();
  if (p == 0 || p > x.rows() || p > kMaxGramColumns) return false;
  const Eigen::VectorXd norms = x.colwise().norm().transpose();
  if (!(norms.minCoeff() > 0) || !norms.allFinite()) return false;
  Eigen::MatrixXd g = Eigen::MatrixXd::Zero(p, p);
  g.selfadjointView<Eigen::Lower>().rankUpdate(x.transpose());
  const Eigen::VectorXd inverse = norms.cwiseInverse();
  g = inverse.asDiagonal() * Eigen::MatrixXd(g.selfadjointView<Eigen::Lower>()) *
      inverse.asDiagonal();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(g, Eigen::EigenvaluesOnly);
  return eig.info() == Eigen::Success &&
         eig.eigenvalues()(0) > kClearlyIndependent * kClearlyIndependent;
}

}  // namespace

std::vector<int> AliasedColumns(const Eigen::MatrixXd& x, double tolerance) {
  if (tolerance < kClearlyIndependent && ClearlyIndependent(x)) return {};
  // Work on a copy scaled column-wise; kept columns are orthogonalized in turn by Householder
  // reflections (numerically stable, O(n p^2)).
  Eigen::MatrixXd a = x;
  const Eigen::Index n = a.rows();
  std::vector<int> aliased;
  Eigen::Index rank = 0;
  for (Eigen::Index j = 0; j < a.cols(); ++j) {
    const double original = x.col(j).norm();
    if (rank >= n || original == 0.0) {
      aliased.push_back(static_cast<int>(j));
      continue;
    }
    const double remaining = a.col(j).tail(n - rank).norm();
    if (remaining <= tolerance * original) {
      aliased.push_back(static_cast<int>(j));
      continue;
    }
    // Householder reflection that zeroes column j below row `rank`; apply to the later columns.
    Eigen::VectorXd v = a.col(j).tail(n - rank);
    const double alpha = v(0) >= 0 ? -remaining : remaining;
    v(0) -= alpha;
    const double vnorm2 = v.squaredNorm();
    if (vnorm2 > 0) {
      for (Eigen::Index k = j + 1; k < a.cols(); ++k) {
        auto tail = a.col(k).tail(n - rank);
        tail -= (2.0 * v.dot(tail) / vnorm2) * v;
      }
    }
    ++rank;
  }
  return aliased;
}

}  // namespace lmm::design
