// Numeric multifrontal Cholesky factorization on a SupernodalPlan [Liu 1992; Davis 2006, ch. 9]:
// for each supernode in postorder, its front F (dense, rows = the supernode's rows) is assembled
// from the matrix's entries in its columns plus the children's update matrices (extend-add),
// its leading columns are factored and the trailing block F22 - L21 L21' is left in place as the
// update matrix for the parent. Deterministic: fixed supernode and child order, and the dense
// kernels' fixed tile order.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <vector>

#include "likelihood/cpu/supernodal_plan.h"
#include "likelihood/cpu/thread_pool.h"

namespace lmm::cpu {

// The unit in which a front's columns are assembled (by one task each when the front is
// assembled in parallel).
inline constexpr int64_t kFrontBlockColumns = 32;

class SupernodalCholesky {
 public:
  explicit SupernodalCholesky(SupernodalPlan plan);

  // Adds the matrix's entries that belong to columns [j0, j1) of front s into the front f
  // (column-major, side plan().front_size(s), rows plan()'s), lower triangle only. It is called
  // after those columns are zeroed and before the children's updates are added, for disjoint
  // column ranges of one front possibly at the same time; j0 is a multiple of
  // kFrontBlockColumns and j1 one too, or the front's side.
  using FrontSource = std::function<void(int64_t s, int64_t j0, int64_t j1, double* f)>;

  // Factors P A P' = L L', P the plan's permutation, A given by `source`. Returns -1, or the
  // original index of the first pivot that is not positive.
  int64_t Factor(const FrontSource& source, ThreadPool& pool);
  // The same, reading A's lower triangle (original order; entries outside the plan's pattern
  // must be zero).
  int64_t Factor(const Eigen::MatrixXd& a, ThreadPool& pool);

  // After a successful Factor(): sum of log L(k, k) over pivots k in [begin, end), and L(i, j)
  // for pivots i >= j (zero outside the stored structure).
  double LogDiagonal(int64_t begin, int64_t end) const;
  double Entry(int64_t i, int64_t j) const;

  const SupernodalPlan& plan() const { return plan_; }

 private:
  // Assembles and partially factors front s; returns -1 or the original index of a failed pivot.
  int64_t FactorFront(int64_t s, const FrontSource& source, ThreadPool& pool, bool parallel);

  SupernodalPlan plan_;
  std::vector<double> fronts_;
  std::vector<int64_t> level_off_;    // supernodes of height h: by_level_[level_off_[h] .. h + 1)
  std::vector<int64_t> by_level_;
  std::vector<int64_t> level_failed_;
  std::vector<int32_t> super_of_;                 // supernode of each pivot
  std::vector<std::vector<int32_t>> children_;    // per supernode, increasing
};

}  // namespace lmm::cpu
