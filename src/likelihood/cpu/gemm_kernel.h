// The trailing update of the blocked Cholesky, C -= A B', on column-major blocks. Dispatches at
// run time to an AVX2/FMA register-blocked kernel where the CPU has one (the library is built for
// the baseline ISA, so Eigen's own kernels use SSE2 only), else to Eigen.
#pragma once

#include <cstdint>

namespace lmm::cpu {

// C (rows x cols, leading dimension ldc) -= A (rows x depth, lda) * B (cols x depth, ldb)'.
// The order of operations for each entry of C depends only on the sizes, never on the thread
// that runs it.
void SubtractProductNt(double* c, int64_t ldc, const double* a, int64_t lda, const double* b,
                       int64_t ldb, int64_t rows, int64_t cols, int64_t depth);

}  // namespace lmm::cpu
