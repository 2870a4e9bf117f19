// Small dense kernels on column-major q x q blocks and m x q panels (q <= kMaxSmallQ), written as
// plain loops: per-level work of the blocked Cholesky, where q is 1 to a few and library call
// overhead would dominate. None allocates.
#pragma once

#include <cmath>
#include <cstdint>

namespace lmm::cpu {

inline constexpr int kMaxSmallQ = 32;

// out = Lambda' D Lambda (q x q, full), Lambda lower triangular, D symmetric. work: q*q doubles.
inline void CongruenceLower(const double* lambda, const double* d, int q, double* work,
                            double* out) {
  // work = D Lambda
  for (int j = 0; j < q; ++j)
    for (int i = 0; i < q; ++i) {
      double s = 0;
      for (int k = j; k < q; ++k) s += d[i + k * q] * lambda[k + j * q];
      work[i + j * q] = s;
    }
  // out = Lambda' work
  for (int j = 0; j < q; ++j)
    for (int i = 0; i < q; ++i) {
      double s = 0;
      for (int k = i; k < q; ++k) s += lambda[k + i * q] * work[k + j * q];
      out[i + j * q] = s;
    }
}

// In-place Cholesky a = L L' of the lower triangle; false if a pivot is not positive.
inline bool CholeskyLower(double* a, int q) {
  for (int j = 0; j < q; ++j) {
    double d = a[j + j * q];
    for (int k = 0; k < j; ++k) d -= a[j + k * q] * a[j + k * q];
    if (!(d > 0)) return false;
    d = std::sqrt(d);
    a[j + j * q] = d;
    for (int i = j + 1; i < q; ++i) {
      double s = a[i + j * q];
      for (int k = 0; k < j; ++k) s -= a[i + k * q] * a[j + k * q];
      a[i + j * q] = s / d;
    }
  }
  return true;
}

// dst = src Lambda for an m x q panel (leading dimension ld), Lambda lower triangular q x q.
// dst may equal src.
inline void MultiplyLowerRight(const double* src, int64_t ld, const double* lambda, int q,
                               double* dst) {
  for (int j = 0; j < q; ++j) {
    const double ljj = lambda[j + j * q];
    double* out = dst + j * ld;
    const double* in = src + j * ld;
    for (int64_t i = 0; i < ld; ++i) out[i] = in[i] * ljj;
    for (int k = j + 1; k < q; ++k) {
      const double lkj = lambda[k + j * q];
      if (lkj == 0.0) continue;
      const double* ink = src + k * ld;
      for (int64_t i = 0; i < ld; ++i) out[i] += ink[i] * lkj;
    }
  }
}

// rows[0..q) of a panel (leading dimension ld, `cols` columns) <- Lambda' rows, in place.
inline void MultiplyLowerTransposeLeft(const double* lambda, int q, double* rows, int64_t ld,
                                       int64_t cols) {
  for (int64_t c = 0; c < cols; ++c) {
    double* col = rows + c * ld;
    for (int i = 0; i < q; ++i) {
      double s = 0;
      for (int k = i; k < q; ++k) s += lambda[k + i * q] * col[k];
      col[i] = s;
    }
  }
}

// panel (m x q, leading dimension m) <- panel L^{-T}, L lower triangular q x q.
inline void SolveLowerTransposeRight(const double* l, int q, double* panel, int64_t m) {
  for (int j = 0; j < q; ++j) {
    double* out = panel + j * m;
    for (int k = 0; k < j; ++k) {
      const double ljk = l[j + k * q];
      const double* in = panel + k * m;
      for (int64_t i = 0; i < m; ++i) out[i] -= in[i] * ljk;
    }
    const double inv = 1.0 / l[j + j * q];
    for (int64_t i = 0; i < m; ++i) out[i] *= inv;
  }
}

}  // namespace lmm::cpu
