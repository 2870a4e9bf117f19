#include "design/aliasing.h"

#include <cmath>

namespace lmm::design {

std::vector<int> AliasedColumns(const Eigen::MatrixXd& x, double tolerance) {
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
