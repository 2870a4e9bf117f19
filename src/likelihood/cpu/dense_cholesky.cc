#include "likelihood/cpu/dense_cholesky.h"

#include <algorithm>
#include <cmath>

#include "likelihood/cpu/gemm_kernel.h"

namespace lmm::cpu {
namespace {

using Block = Eigen::Map<Eigen::MatrixXd, 0, Eigen::OuterStride<>>;

// Panel width and tile size of the right-looking blocked algorithm: 64 x 64 tiles keep the
// operands in L1/L2 and give 2+ threads enough independent tiles (measured: 64 and 96 equal,
// 128 slower, on m = 1159).
constexpr int64_t kBlock = 64;
// Columns per step of the panel's triangular solve.
constexpr int64_t kSolveColumns = 16;
// Below this many trailing rows a step's tiles run on the calling thread: scheduling costs more
// than the work. (Only where the work goes depends on it, never the operations.)
constexpr int64_t kParallelRows = 192;

// Rows [i0, i0 + rb) of the panel's columns [k, k + kb): A_ik <- A_ik L_kk^{-T}, left-looking
// over groups of kSolveColumns columns (the update from the columns already solved goes through
// the tile kernel; the small triangle is solved in place).
void SolvePanelRows(double* a, int64_t ld, int64_t k, int64_t kb, int64_t i0, int64_t rb) {
  auto at = [&](int64_t i, int64_t j) -> double& { return a[i + j * ld]; };
  for (int64_t j0 = 0; j0 < kb; j0 += kSolveColumns) {
    const int64_t jb = std::min(kSolveColumns, kb - j0);
    if (j0 > 0) SubtractProductNt(&at(i0, k + j0), ld, &at(i0, k), ld, &at(k + j0, k), ld, rb, jb, j0);
    for (int64_t jj = j0; jj < j0 + jb; ++jj) {
      double* col = &at(i0, k + jj);
      for (int64_t u = j0; u < jj; ++u) {
        const double f = at(k + jj, k + u);
        const double* src = &at(i0, k + u);
        for (int64_t r = 0; r < rb; ++r) col[r] -= f * src[r];
      }
      const double inv = 1.0 / at(k + jj, k + jj);
      for (int64_t r = 0; r < rb; ++r) col[r] *= inv;
    }
  }
}

// Index of a lower-triangular tile pair -> (ti, tj), ti >= tj, enumerated row by row.
void TilePair(int64_t idx, int64_t& ti, int64_t& tj) {
  ti = static_cast<int64_t>((std::sqrt(8.0 * idx + 1) - 1) / 2);
  while (ti * (ti + 1) / 2 > idx) --ti;
  while ((ti + 1) * (ti + 2) / 2 <= idx) ++ti;
  tj = idx - ti * (ti + 1) / 2;
}

}  // namespace

// Right-looking blocked Cholesky [Golub & Van Loan, Matrix Computations, 4th ed., alg. 4.2.2]:
// for each panel of the first k columns: factor A_kk (unblocked), A_ik <- A_ik L_kk^{-T} for the
// row tiles below, then A_ij -= A_ik A_jk' for the trailing tiles (i >= j), which include A22.
// Every tile is computed with a fixed operation order, so the result does not depend on the pool
// size or on which thread runs a tile.
int64_t PartialCholeskyLower(double* a, int64_t ld, int64_t n, int64_t k, ThreadPool& pool,
                             bool allow_parallel) {
  for (int64_t c = 0; c < k; c += kBlock) {
    const int64_t kb = std::min(kBlock, k - c);
    Block akk(a + c + c * ld, kb, kb, Eigen::OuterStride<>(ld));
    const Eigen::Index info = Eigen::internal::llt_inplace<double, Eigen::Lower>::blocked(akk);
    if (info >= 0) return c + info;
    const int64_t r0 = c + kb;
    if (r0 >= n) break;
    const int64_t tiles = (n - r0 + kBlock - 1) / kBlock;
    const bool parallel = allow_parallel && n - r0 >= kParallelRows && pool.size() > 1;
    pool.ForEach(parallel, tiles, [&](int64_t t) {
      const int64_t i0 = r0 + t * kBlock;
      SolvePanelRows(a, ld, c, kb, i0, std::min(kBlock, n - i0));
    });
    pool.ForEach(parallel, tiles * (tiles + 1) / 2, [&](int64_t idx) {
      int64_t ti, tj;
      TilePair(idx, ti, tj);
      const int64_t i0 = r0 + ti * kBlock, j0 = r0 + tj * kBlock;
      const int64_t ib = std::min(kBlock, n - i0), jb = std::min(kBlock, n - j0);
      SubtractProductNt(a + i0 + j0 * ld, ld, a + i0 + c * ld, ld, a + j0 + c * ld, ld, ib, jb, kb);
    });
  }
  return -1;
}

int64_t DenseCholeskyLower(Eigen::MatrixXd& a, ThreadPool& pool) {
  const int64_t n = a.rows();
  // Below this size Eigen's blocked factorization on one thread is faster than tiles.
  constexpr int64_t kSerialBelow = 256;
  if (n < kSerialBelow) return Eigen::internal::llt_inplace<double, Eigen::Lower>::blocked(a);
  return PartialCholeskyLower(a.data(), a.outerStride(), n, n, pool);
}

}  // namespace lmm::cpu
