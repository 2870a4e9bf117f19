#include "likelihood/cpu/dense_cholesky.h"

#include <algorithm>
#include <cmath>

#include "likelihood/cpu/gemm_kernel.h"

namespace lmm::cpu {
namespace {

// Panel width and tile size of the right-looking blocked algorithm: 64 x 64 tiles keep the
// operands in L1/L2 and give 2+ threads enough independent tiles (measured: 64 and 96 equal,
// 128 slower, on m = 1159).
constexpr int64_t kBlock = 64;
// Columns per step of the panel's triangular solve.
constexpr int64_t kSolveColumns = 16;
// Below this size the unblocked serial kernel is faster than scheduling tiles.
constexpr int64_t kSerialBelow = 256;

}  // namespace

// Right-looking blocked Cholesky [Golub & Van Loan, Matrix Computations, 4th ed., alg. 4.2.2]:
// for each panel k: factor A_kk (unblocked), A_ik <- A_ik L_kk^{-T} for the row tiles below,
// then A_ij -= A_ik A_jk' for the trailing tiles (i >= j). Every tile is computed by one thread
// with a fixed operation order, so the result does not depend on the pool size.
int64_t DenseCholeskyLower(Eigen::MatrixXd& a, ThreadPool& pool) {
  const int64_t n = a.rows();
  // The small case does not depend on the pool at all; the tiled path runs the same operations
  // in the same order whatever the pool size (a pool of 1 runs the tiles inline).
  if (n < kSerialBelow) return Eigen::internal::llt_inplace<double, Eigen::Lower>::blocked(a);
  for (int64_t k = 0; k < n; k += kBlock) {
    const int64_t kb = std::min(kBlock, n - k);
    auto akk = a.block(k, k, kb, kb);
    const Eigen::Index info = Eigen::internal::llt_inplace<double, Eigen::Lower>::blocked(akk);
    if (info >= 0) return k + info;
    const int64_t r0 = k + kb;
    if (r0 >= n) break;
    const int64_t tiles = (n - r0 + kBlock - 1) / kBlock;
    // A_ik <- A_ik L_kk^{-T}, left-looking over groups of kSolveColumns columns: the update from
    // the columns already solved goes through the tile kernel, the small triangle is solved
    // in place.
    pool.ParallelFor(tiles, [&](int64_t t) {
      const int64_t i0 = r0 + t * kBlock;
      const int64_t rb = std::min(kBlock, n - i0);
      for (int64_t j0 = 0; j0 < kb; j0 += kSolveColumns) {
        const int64_t jb = std::min(kSolveColumns, kb - j0);
        if (j0 > 0)
          SubtractProductNt(&a(i0, k + j0), n, &a(i0, k), n, &a(k + j0, k), n, rb, jb, j0);
        for (int64_t jj = j0; jj < j0 + jb; ++jj) {
          double* col = &a(i0, k + jj);
          for (int64_t u = j0; u < jj; ++u) {
            const double f = a(k + jj, k + u);
            const double* src = &a(i0, k + u);
            for (int64_t r = 0; r < rb; ++r) col[r] -= f * src[r];
          }
          const double inv = 1.0 / a(k + jj, k + jj);
          for (int64_t r = 0; r < rb; ++r) col[r] *= inv;
        }
      }
    });
    // Trailing tiles (ti >= tj), enumerated row by row: index -> (ti, tj).
    const int64_t pairs = tiles * (tiles + 1) / 2;
    pool.ParallelFor(pairs, [&](int64_t idx) {
      int64_t ti = static_cast<int64_t>((std::sqrt(8.0 * idx + 1) - 1) / 2);
      while (ti * (ti + 1) / 2 > idx) --ti;
      while ((ti + 1) * (ti + 2) / 2 <= idx) ++ti;
      const int64_t tj = idx - ti * (ti + 1) / 2;
      const int64_t i0 = r0 + ti * kBlock, j0 = r0 + tj * kBlock;
      const int64_t ib = std::min(kBlock, n - i0), jb = std::min(kBlock, n - j0);
      SubtractProductNt(&a(i0, j0), n, &a(i0, k), n, &a(j0, k), n, ib, jb, kb);
    });
  }
  return -1;
}

}  // namespace lmm::cpu
