// In-place Cholesky factorization of the dense Schur complement (lower triangle).
#pragma once

#include <Eigen/Dense>
#include <cstdint>

#include "likelihood/cpu/thread_pool.h"

namespace lmm::cpu {

// Factors the lower triangle of the symmetric positive definite `a` in place (a = L L'; the strict
// upper triangle is left unspecified). Returns -1, or the first column whose pivot is not
// positive. Deterministic for any pool size.
int64_t DenseCholeskyLower(Eigen::MatrixXd& a, ThreadPool& pool);

}  // namespace lmm::cpu
