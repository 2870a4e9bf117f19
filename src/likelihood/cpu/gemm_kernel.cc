#include "likelihood/cpu/gemm_kernel.h"

#include <Eigen/Dense>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define LMM_HAVE_AVX2_KERNEL 1
#endif

namespace lmm::cpu {
namespace {

using Block = Eigen::Map<Eigen::MatrixXd, 0, Eigen::OuterStride<>>;
using ConstBlock = Eigen::Map<const Eigen::MatrixXd, 0, Eigen::OuterStride<>>;

void SubtractProductNtEigen(double* c, int64_t ldc, const double* a, int64_t lda, const double* b,
                            int64_t ldb, int64_t rows, int64_t cols, int64_t depth) {
  Block cm(c, rows, cols, Eigen::OuterStride<>(ldc));
  ConstBlock am(a, rows, depth, Eigen::OuterStride<>(lda));
  ConstBlock bm(b, cols, depth, Eigen::OuterStride<>(ldb));
  cm.noalias() -= am * bm.transpose();
}

#ifdef LMM_HAVE_AVX2_KERNEL
// Register block of R x 4 (R = 4 * V rows, V <= 3 vectors): per k, V 4-wide loads of A's column,
// four broadcasts of B's row, 4 V FMAs into accumulators; C is updated once at the end. V = 3
// keeps 12 accumulators in flight, enough to cover the FMA latency on two ports.
template <int V>
__attribute__((target("avx2,fma"), always_inline)) inline void Tile(double* c, int64_t ldc,
                                                                    const double* a, int64_t lda,
                                                                    const double* b, int64_t ldb,
                                                                    int64_t depth) {
  __m256d acc[V][4];
  for (int v = 0; v < V; ++v)
    for (int q = 0; q < 4; ++q) acc[v][q] = _mm256_setzero_pd();
  for (int64_t k = 0; k < depth; ++k, a += lda, b += ldb) {
    __m256d av[V];
    for (int v = 0; v < V; ++v) av[v] = _mm256_loadu_pd(a + 4 * v);
    for (int q = 0; q < 4; ++q) {
      const __m256d bk = _mm256_broadcast_sd(b + q);
      for (int v = 0; v < V; ++v) acc[v][q] = _mm256_fmadd_pd(av[v], bk, acc[v][q]);
    }
  }
  for (int q = 0; q < 4; ++q)
    for (int v = 0; v < V; ++v) {
      double* p = c + q * ldc + 4 * v;
      _mm256_storeu_pd(p, _mm256_sub_pd(_mm256_loadu_pd(p), acc[v][q]));
    }
}

__attribute__((target("avx2,fma"))) void SubtractProductNtAvx2(double* c, int64_t ldc,
                                                               const double* a, int64_t lda,
                                                               const double* b, int64_t ldb,
                                                               int64_t rows, int64_t cols,
                                                               int64_t depth) {
  const int64_t rows12 = rows - rows % 12;
  const int64_t rows4 = rows - rows % 4;
  const int64_t cols4 = cols - cols % 4;
  for (int64_t j = 0; j < cols4; j += 4) {
    int64_t i = 0;
    for (; i < rows12; i += 12) Tile<3>(c + i + j * ldc, ldc, a + i, lda, b + j, ldb, depth);
    for (; i < rows4; i += 4) Tile<1>(c + i + j * ldc, ldc, a + i, lda, b + j, ldb, depth);
  }
  // Edges (rows beyond rows4 in the first cols4 columns; all rows of the last columns).
  for (int64_t j = 0; j < cols; ++j) {
    const int64_t i0 = j < cols4 ? rows4 : 0;
    for (int64_t i = i0; i < rows; ++i) {
      double s = 0;
      for (int64_t k = 0; k < depth; ++k) s += a[i + k * lda] * b[j + k * ldb];
      c[i + j * ldc] -= s;
    }
  }
}

bool HaveAvx2() {
  static const bool have = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return have;
}
#endif

}  // namespace

void SubtractProductNt(double* c, int64_t ldc, const double* a, int64_t lda, const double* b,
                       int64_t ldb, int64_t rows, int64_t cols, int64_t depth) {
#ifdef LMM_HAVE_AVX2_KERNEL
  if (HaveAvx2()) {
    SubtractProductNtAvx2(c, ldc, a, lda, b, ldb, rows, cols, depth);
    return;
  }
#endif
  SubtractProductNtEigen(c, ldc, a, lda, b, ldb, rows, cols, depth);
}

}  // namespace lmm::cpu
