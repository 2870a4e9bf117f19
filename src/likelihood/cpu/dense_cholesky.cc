#include "likelihood/cpu/dense_cholesky.h"

#include "likelihood/cpu/gemm_kernel.h"

#include <algorithm>
#include <cmath>

namespace lmm::cpu {
namespace {

// Panel width of the right-looking blocked algorithm: tiles of kBlock x kBlock keep the GEMM
// operands in L2 and give 2 threads enough independent tiles from m ~ 500 on.
constexpr int64_t kBlock = 64;
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
    pool.ParallelFor(tiles, [&](int64_t t) {
      const int64_t i0 = r0 + t * kBlock;
      auto panel = a.block(i0, k, std::min(kBlock, n - i0), kb);
      a.block(k, k, kb, kb).triangularView<Eigen::Lower>().transpose().template solveInPlace<
          Eigen::OnTheRight>(panel);
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
