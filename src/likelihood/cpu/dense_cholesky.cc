#include "likelihood/cpu/dense_cholesky.h"

namespace lmm::cpu {

int64_t DenseCholeskyLower(Eigen::MatrixXd& a, ThreadPool& pool) {
  (void)pool;
  // Eigen's blocked right-looking algorithm (LLT's kernel), on the matrix's own storage.
  const Eigen::Index info = Eigen::internal::llt_inplace<double, Eigen::Lower>::blocked(a);
  return info;
}

}  // namespace lmm::cpu
