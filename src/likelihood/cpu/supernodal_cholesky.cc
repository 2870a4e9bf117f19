#include "likelihood/cpu/supernodal_cholesky.h"

#include <algorithm>
#include <cmath>

#include "likelihood/cpu/dense_cholesky.h"

namespace lmm::cpu {

SupernodalCholesky::SupernodalCholesky(SupernodalPlan plan)
    : plan_(std::move(plan)),
      fronts_(plan_.front_off.back(), 0.0),
      super_of_(plan_.n),
      children_(plan_.num_supernodes()) {
  for (int64_t s = 0; s < plan_.num_supernodes(); ++s) {
    for (int64_t j = plan_.first[s]; j < plan_.first[s + 1]; ++j)
      super_of_[j] = static_cast<int32_t>(s);
    if (plan_.parent[s] >= 0) children_[plan_.parent[s]].push_back(static_cast<int32_t>(s));
  }
  // Heights (leaves 0; children precede parents), then supernodes grouped by height.
  std::vector<int32_t> height(plan_.num_supernodes(), 0);
  int32_t top = 0;
  for (int64_t s = 0; s < plan_.num_supernodes(); ++s) {
    for (const int32_t c : children_[s]) height[s] = std::max(height[s], height[c] + 1);
    top = std::max(top, height[s]);
  }
  level_off_.assign(top + 2, 0);
  for (const int32_t h : height) ++level_off_[h + 1];
  for (int32_t h = 0; h <= top; ++h) level_off_[h + 1] += level_off_[h];
  by_level_.resize(plan_.num_supernodes());
  std::vector<int64_t> next(level_off_.begin(), level_off_.end() - 1);
  for (int64_t s = 0; s < plan_.num_supernodes(); ++s) by_level_[next[height[s]]++] = s;
  level_failed_.assign(plan_.num_supernodes(), -1);
}

int64_t SupernodalCholesky::FactorFront(int64_t s, const FrontSource& source, ThreadPool& pool,
                                        bool parallel) {
  const int64_t nf = plan_.front_size(s);
  const int64_t ns = plan_.columns(s);
  double* f = fronts_.data() + plan_.front_off[s];
  // Per block of front columns (one task each when parallel, else the whole front at once):
  // zeros in the lower triangle, the source's entries, then the children's update matrices
  // (extend-add), child by child. Each entry receives the same operations in the same order
  // whatever the split.
  const int64_t width = parallel ? kFrontBlockColumns : nf;
  const int64_t blocks = (nf + width - 1) / width;
  auto assemble = [&](int64_t blk) {
    const int64_t j0 = blk * width, j1 = std::min(nf, j0 + width);
    for (int64_t jj = j0; jj < j1; ++jj) std::fill(f + jj + jj * nf, f + (jj + 1) * nf, 0.0);
    source(s, j0, j1, f);
    for (const int32_t c : children_[s]) {
      const int64_t cf = plan_.front_size(c);
      const int64_t cs = plan_.columns(c);
      const int64_t mc = cf - cs;
      const double* u = fronts_.data() + plan_.front_off[c] + cs + cs * cf;
      const int32_t* map = plan_.map.data() + plan_.map_off[c];
      const int32_t* run = plan_.map_run.data() + plan_.map_off[c];
      // The child's update columns that land in [j0, j1) (map is increasing), added run by run
      // of rows that stay consecutive in the parent.
      const int64_t b0 = std::lower_bound(map, map + mc, j0) - map;
      for (int64_t b = b0; b < mc && map[b] < j1; ++b) {
        double* col = f + map[b] * nf;
        const double* ucol = u + b * cf;
        for (int64_t x = b; x < mc;) {
          const int64_t end = run[x];
          double* to = col + map[x] - x;
          for (int64_t y = x; y < end; ++y) to[y] += ucol[y];
          x = end;
        }
      }
    }
  };
  pool.ForEach(parallel && blocks > 1, blocks, assemble);
  const int64_t failed = PartialCholeskyLower(f, nf, nf, ns, pool, parallel);
  const int32_t* rows = plan_.rows.data() + plan_.row_off[s];
  return failed >= 0 ? plan_.perm[rows[failed]] : -1;
}

int64_t SupernodalCholesky::Factor(const Eigen::MatrixXd& a, ThreadPool& pool) {
  const int32_t* perm = plan_.perm.data();
  return Factor(
      [&](int64_t s, int64_t j0, int64_t j1, double* f) {
        const int64_t nf = plan_.front_size(s);
        const int32_t* rows = plan_.rows.data() + plan_.row_off[s];
        for (int64_t jj = j0; jj < std::min(j1, plan_.columns(s)); ++jj) {
          const int64_t oj = perm[rows[jj]];
          for (int64_t kk = jj; kk < nf; ++kk) {
            const int64_t oi = perm[rows[kk]];
            f[kk + jj * nf] += oi >= oj ? a(oi, oj) : a(oj, oi);
          }
        }
      },
      pool);
}

// Supernodes of equal height in the tree are independent: with several, each is one task (its
// kernels on that thread); a lone one (the root, typically the largest front) uses the pool.
// Either way every front is computed by the same operations in the same order.
int64_t SupernodalCholesky::Factor(const FrontSource& source, ThreadPool& pool) {
  for (size_t h = 0; h + 1 < level_off_.size(); ++h) {
    const int64_t begin = level_off_[h], count = level_off_[h + 1] - begin;
    if (count == 1 || pool.size() == 1) {
      for (int64_t k = 0; k < count; ++k) {
        const int64_t failed = FactorFront(by_level_[begin + k], source, pool, true);
        if (failed >= 0) return failed;
      }
      continue;
    }
    std::fill(level_failed_.begin(), level_failed_.begin() + count, -1);
    pool.ParallelFor(count, [&](int64_t k) {
      level_failed_[k] = FactorFront(by_level_[begin + k], source, pool, false);
    });
    for (int64_t k = 0; k < count; ++k)
      if (level_failed_[k] >= 0) return level_failed_[k];
  }
  return -1;
}

double SupernodalCholesky::LogDiagonal(int64_t begin, int64_t end) const {
  double sum = 0;
  for (int64_t k = begin; k < end; ++k) {
    const int64_t s = super_of_[k];
    const int64_t nf = plan_.front_size(s);
    const int64_t jj = k - plan_.first[s];
    sum += std::log(fronts_[plan_.front_off[s] + jj + jj * nf]);
  }
  return sum;
}

double SupernodalCholesky::Entry(int64_t i, int64_t j) const {
  const int64_t s = super_of_[j];
  const int32_t* rows = plan_.rows.data() + plan_.row_off[s];
  const int64_t nf = plan_.front_size(s);
  const int32_t* at = std::lower_bound(rows, rows + nf, static_cast<int32_t>(i));
  if (at == rows + nf || *at != i) return 0.0;
  return fronts_[plan_.front_off[s] + (at - rows) + (j - plan_.first[s]) * nf];
}

}  // namespace lmm::cpu
