// In-place Cholesky factorization of dense symmetric blocks (lower triangle): the whole dense
// Schur complement, or the leading columns of a supernodal front.
#pragma once

#include <Eigen/Dense>
#include <cstdint>

#include "likelihood/cpu/thread_pool.h"

namespace lmm::cpu {

// Factors the lower triangle of the symmetric positive definite `a` in place (a = L L'; the strict
// upper triangle is left unspecified). Returns -1, or the first column whose pivot is not
// positive. Deterministic for any pool size.
int64_t DenseCholeskyLower(Eigen::MatrixXd& a, ThreadPool& pool);

// Partial factorization of the n x n column-major lower triangle at `a` (leading dimension ld),
// partitioned after k <= n columns as [A11 .; A21 A22]: A11 <- L11 = chol(A11),
// A21 <- L21 = A21 L11^{-T}, A22 <- A22 - L21 L21' (lower triangle). With k == n this is the
// full factorization. Returns -1, or the first column (< k) whose pivot is not positive.
// Deterministic for any pool size. With parallel == false everything runs on the calling thread
// (for callers that are themselves pool tasks); the operations are the same.
int64_t PartialCholeskyLower(double* a, int64_t ld, int64_t n, int64_t k, ThreadPool& pool,
                             bool parallel = true);

}  // namespace lmm::cpu
