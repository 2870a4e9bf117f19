#include "design/aliasing.h"

#include <algorithm>
#include <cmath>

namespace lmm::design {
namespace {

// The Gram fast path answers only when every column keeps at least this fraction of its norm
// after projection on the earlier ones, far above any tolerance the QR is asked for.
constexpr double kClearlyIndependent = 1e-2;
// Beyond this many columns the eigenvalues cost more than they save.
constexpr Eigen::Index kMaxGramColumns = 200;
// Columns per panel of the blocked QR below: wide enough that Eigen applies the panel's
// reflectors as blocks (it does from 48 on), narrow enough that the panel stays in cache.
constexpr Eigen::Index kPanelColumns = 96;

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
  // Work on a copy; kept columns are orthogonalized in turn by Householder reflections
  // (numerically stable, O(n p^2)). Columns go in panels: within a panel each reflection is applied
  // to the panel's later columns at once, as the column-by-column algorithm does, and the panel's
  // reflections are then applied together to the columns after it as one block reflector
  // (Eigen's HouseholderSequence, matrix-matrix products), so a wide design (a factor with
  // thousands of levels) streams through memory once per panel instead of once per column.
  // The decisions are the column-by-column algorithm's; only the rounding of the trailing
  // columns' updates differs.
  Eigen::MatrixXd a = x;
  const Eigen::Index n = a.rows();
  const Eigen::Index p = a.cols();
  std::vector<int> aliased;
  Eigen::Index rank = 0;
  for (Eigen::Index j0 = 0; j0 < p; j0 += kPanelColumns) {
    const Eigen::Index j1 = std::min(p, j0 + kPanelColumns);
    const Eigen::Index rank0 = rank;
    // The panel's reflectors H_i = I - tau_i u_i u_i' (u_i(0) = 1), u_i starting at row rank0 + i.
    Eigen::MatrixXd vectors = Eigen::MatrixXd::Zero(n - rank0, j1 - j0);
    Eigen::VectorXd taus = Eigen::VectorXd::Zero(j1 - j0);
    for (Eigen::Index j = j0; j < j1; ++j) {
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
      // Householder reflection that zeroes column j below row `rank`; apply to the panel's later
      // columns. v(0) = a - alpha with alpha of the opposite sign, so |v(0)| >= remaining > 0.
      Eigen::VectorXd v = a.col(j).tail(n - rank);
      const double alpha = v(0) >= 0 ? -remaining : remaining;
      v(0) -= alpha;
      const double vnorm2 = v.squaredNorm();
      for (Eigen::Index k = j + 1; k < j1; ++k) {
        auto tail = a.col(k).tail(n - rank);
        tail -= (2.0 * v.dot(tail) / vnorm2) * v;
      }
      const Eigen::Index r = rank - rank0;
      vectors.col(r).tail(n - rank) = v / v(0);
      taus(r) = 2.0 * v(0) * v(0) / vnorm2;
      ++rank;
    }
    const Eigen::Index kept = rank - rank0;
    if (kept > 0 && j1 < p) {
      // H_0 first: the columns after the panel become H_{kept-1} ... H_0 times themselves.
      Eigen::HouseholderSequence<Eigen::MatrixXd, Eigen::VectorXd> reflectors(vectors, taus);
      reflectors.setLength(kept);
      a.bottomRightCorner(n - rank0, p - j1).applyOnTheLeft(reflectors.adjoint());
    }
  }
  return aliased;
}

}  // namespace lmm::design
