// Per-cluster mathematics of the small-sample variance pieces (src/inference/ddf/variance_pieces.h)
// for a model with one random-effect term, written once for the host (g++: the CPU engine and its
// tests) and the device (nvcc: kernels/variance_kernels.cu). Plain loops on small column-major
// arrays; no allocation, no library calls, no exceptions.
//
// Relative units (V_r = V / sigma^2 = I + Z Lambda Lambda' Z'). Cluster c has S = Z_c'Z_c (q x q)
// and R = Z_c'Xe_c (q x w), Xe = [X e] (w = p + 1 columns). With A = Lambda'S Lambda + I = L L'
// and M = Lambda A^{-1} Lambda' = W'W, W = L^{-1} Lambda' (Woodbury: V_r^{-1} = I - Z M Z'):
//   K  = Z'V_r^{-1}Z = S - S M S,     MS = M S
//   BB = Z'V_r^{-1}Xe = R - S M R,    B2 = Z'V_r^{-2}Xe = BB - S M BB
//   Xe'V_r^{-1}Xe = Xe'Xe - R'M R,  Xe'V_r^{-2}Xe = Xe'V_r^{-1}Xe - (M R)'BB,
//   Xe'V_r^{-3}Xe = Xe'V_r^{-2}Xe - BB'M BB
// (the CPU engine forms the same sums row by row). The per-parameter pieces, E_k the q x q
// pattern of parameter k (covariance_basis.h), nr random parameters, "res" the residual:
//   pt_k       = BB'E_k BB
//   qt_kj      = (E_k BB)'K (E_j BB)  (k <= j < nr),    qt_k,res = (E_k BB)'B2
//   tr_vg_k    = tr(E_k K),   t_kj = tr(E_k K E_j K),   t_k,res = tr(E_k (K - K M S))
//   tr_ms      = tr(M S),     tr_msms = tr(M S M S)
// Every output is a sum over clusters of these contributions (Xe'Xe is summed by the caller).
#pragma once

#include <cstdint>

#include "cluster_math.h"

namespace lmm::kernels {

inline constexpr int kMaxVarianceParams = 10;  // random parameters: q = 4 unstructured

// Number of random parameter pairs k <= j (PackedIndex(j, k) order).
LMM_HD inline int VariancePairs(int nr) { return PackedSize(nr); }
// Matrix pieces per entry (a, b) of the w x w outputs: R'MR, (MR)'BB, BB'M BB, pt_k, qt_kj
// (pairs), qt_k,res.
LMM_HD inline int VarianceMatrixPieces(int nr) { return 3 + nr + VariancePairs(nr) + nr; }
// Scalars per cluster: tr_ms, tr_msms, tr_vg_k, t_kj (pairs), t_k,res, then a failure flag
// (1 when A was not positive definite, else 0), so that their sum counts failing clusters.
LMM_HD inline int VarianceScalars(int nr) { return 2 + nr + VariancePairs(nr) + nr + 1; }

// Per-cluster inputs and factors in structure-of-arrays layout: entry e of cluster c is at
// [e * stride + c]. Column-major within a cluster: s, m, k: q x q (entry i + j q); r, mr, bb, mb,
// b2: q x w (entry i + col q); scal: VarianceScalars(nr) entries.
struct VarianceClusterView {
  int64_t stride = 0;
  int q = 0;
  int w = 0;
  int nr = 0;
  const double* s = nullptr;  // inputs
  const double* r = nullptr;
  double* m = nullptr;  // outputs of ClusterVarianceFactors
  double* k = nullptr;
  double* mr = nullptr;
  double* bb = nullptr;
  double* mb = nullptr;
  double* b2 = nullptr;
  double* scal = nullptr;
};

// y (q) <- a x, a q x q column-major.
LMM_HD inline void SmallMatVec(int q, const double* a, const double* x, double* y) {
  for (int i = 0; i < q; ++i) {
    double s = 0;
    for (int j = 0; j < q; ++j) s += a[i + j * q] * x[j];
    y[i] = s;
  }
}

// Factors of cluster c from its S and R, lambda (q x q lower triangular) and the nr patterns
// (nr consecutive q x q column-major matrices). Writes m, k, mr, bb, mb, b2 and scal of cluster c;
// on failure (A not positive definite: non-finite input) all are zero except the failure flag.
LMM_HD inline void ClusterVarianceFactors(const VarianceClusterView& v, int64_t c,
                                          const double* lambda, const double* patterns) {
  const int q = v.q, w = v.w, nr = v.nr;
  const int64_t st = v.stride;
  double s[kMaxClusterQ * kMaxClusterQ], l[kMaxClusterQ * kMaxClusterQ];
  double m[kMaxClusterQ * kMaxClusterQ], ms[kMaxClusterQ * kMaxClusterQ];
  double k[kMaxClusterQ * kMaxClusterQ];
  for (int e = 0; e < q * q; ++e) s[e] = v.s[e * st + c];
  double logdet = 0;
  const bool ok = FactorClusterBlock(q, lambda, s, l, &logdet);
  const int ns = VarianceScalars(nr);
  if (!ok) {
    for (int e = 0; e < q * q; ++e) v.m[e * st + c] = v.k[e * st + c] = 0.0;
    for (int e = 0; e < q * w; ++e)
      v.mr[e * st + c] = v.bb[e * st + c] = v.mb[e * st + c] = v.b2[e * st + c] = 0.0;
    for (int e = 0; e < ns - 1; ++e) v.scal[e * st + c] = 0.0;
    v.scal[(ns - 1) * st + c] = 1.0;
    return;
  }
  // W = L^{-1} Lambda' (in ms, column by column: forward substitution), then M = W'W.
  for (int j = 0; j < q; ++j)
    for (int i = 0; i < q; ++i) {
      double x = lambda[j + i * q];  // Lambda'(i, j)
      for (int t = 0; t < i; ++t) x -= l[i + t * q] * ms[t + j * q];
      ms[i + j * q] = x / l[i + i * q];
    }
  for (int j = 0; j < q; ++j)
    for (int i = 0; i < q; ++i) {
      double x = 0;
      for (int t = 0; t < q; ++t) x += ms[t + i * q] * ms[t + j * q];
      m[i + j * q] = x;
    }
  // MS = M S, K = S - S (M S).
  for (int j = 0; j < q; ++j)
    for (int i = 0; i < q; ++i) {
      double x = 0;
      for (int t = 0; t < q; ++t) x += m[i + t * q] * s[t + j * q];
      ms[i + j * q] = x;
    }
  for (int j = 0; j < q; ++j)
    for (int i = 0; i < q; ++i) {
      double x = s[i + j * q];
      for (int t = 0; t < q; ++t) x -= s[i + t * q] * ms[t + j * q];
      k[i + j * q] = x;
    }
  for (int e = 0; e < q * q; ++e) {
    v.m[e * st + c] = m[e];
    v.k[e * st + c] = k[e];
  }
  // Column by column of R: MR, BB = R - S MR, MB = M BB, B2 = BB - S MB.
  for (int col = 0; col < w; ++col) {
    double r[kMaxClusterQ], t1[kMaxClusterQ], t2[kMaxClusterQ], bb[kMaxClusterQ];
    for (int i = 0; i < q; ++i) r[i] = v.r[(i + col * q) * st + c];
    SmallMatVec(q, m, r, t1);  // MR
    SmallMatVec(q, s, t1, t2);
    for (int i = 0; i < q; ++i) {
      bb[i] = r[i] - t2[i];
      v.mr[(i + col * q) * st + c] = t1[i];
      v.bb[(i + col * q) * st + c] = bb[i];
    }
    SmallMatVec(q, m, bb, t1);  // MB
    SmallMatVec(q, s, t1, t2);
    for (int i = 0; i < q; ++i) {
      v.mb[(i + col * q) * st + c] = t1[i];
      v.b2[(i + col * q) * st + c] = bb[i] - t2[i];
    }
  }
  // Scalars.
  double tr_ms = 0, tr_msms = 0;
  for (int i = 0; i < q; ++i) {
    tr_ms += ms[i + i * q];
    for (int j = 0; j < q; ++j) tr_msms += ms[i + j * q] * ms[j + i * q];
  }
  v.scal[0 * st + c] = tr_ms;
  v.scal[1 * st + c] = tr_msms;
  const int pairs = VariancePairs(nr);
  for (int a = 0; a < nr; ++a) {
    const double* ea = patterns + a * q * q;
    double tr_vg = 0, t_res = 0;
    for (int j = 0; j < q; ++j)
      for (int i = 0; i < q; ++i) {
        double k2 = k[i + j * q];  // (K - K M S)(i, j)
        for (int t = 0; t < q; ++t) k2 -= k[i + t * q] * ms[t + j * q];
        tr_vg += ea[i + j * q] * k[i + j * q];
        t_res += ea[i + j * q] * k2;
      }
    v.scal[(2 + a) * st + c] = tr_vg;
    v.scal[(2 + nr + pairs + a) * st + c] = t_res;
  }
  // t_kj = tr(E_k K E_j K) = sum_{i,j} (E_k K)(i, j) (E_j K)(j, i).
  for (int a = 0; a < nr; ++a)
    for (int b = a; b < nr; ++b) {
      const double* ea = patterns + a * q * q;
      const double* eb = patterns + b * q * q;
      double sum = 0;
      for (int i = 0; i < q; ++i)
        for (int j = 0; j < q; ++j) {
          double x = 0, y = 0;  // (E_a K)(i, j), (E_b K)(j, i)
          for (int t = 0; t < q; ++t) {
            x += ea[i + t * q] * k[t + j * q];
            y += eb[j + t * q] * k[t + i * q];
          }
          sum += x * y;
        }
      v.scal[(2 + nr + PackedIndex(b, a)) * st + c] = sum;
    }
  v.scal[(ns - 1) * st + c] = 0.0;
}

// Which random parameters a pair index (PackedIndex(j, k), k <= j) names.
LMM_HD inline void VariancePairOf(int index, int* k, int* j) {
  int jj = 0;
  while (PackedIndex(jj + 1, 0) <= index) ++jj;
  *j = jj;
  *k = index - PackedIndex(jj, 0);
}

// Contributions of cluster c (factored) to entry (a, b) of matrix pieces [first, first + count)
// (VarianceMatrixPieces order), written to out[0 .. count).
LMM_HD inline void ClusterVarianceEntries(const VarianceClusterView& v, int64_t c,
                                          const double* patterns, int a, int b, int first,
                                          int count, double* out) {
  const int q = v.q, nr = v.nr;
  const int64_t st = v.stride;
  const int pairs = VariancePairs(nr);
  double bba[kMaxClusterQ], bbb[kMaxClusterQ];
  for (int i = 0; i < q; ++i) {
    bba[i] = v.bb[(i + a * q) * st + c];
    bbb[i] = v.bb[(i + b * q) * st + c];
  }
  for (int n = 0; n < count; ++n) {
    const int piece = first + n;
    double sum = 0;
    if (piece == 0) {
      for (int i = 0; i < q; ++i) sum += v.r[(i + a * q) * st + c] * v.mr[(i + b * q) * st + c];
    } else if (piece == 1) {
      for (int i = 0; i < q; ++i) sum += v.mr[(i + a * q) * st + c] * bbb[i];
    } else if (piece == 2) {
      for (int i = 0; i < q; ++i) sum += bba[i] * v.mb[(i + b * q) * st + c];
    } else if (piece < 3 + nr) {
      double eb[kMaxClusterQ];
      SmallMatVec(q, patterns + (piece - 3) * q * q, bbb, eb);
      for (int i = 0; i < q; ++i) sum += bba[i] * eb[i];
    } else {
      const int index = piece - 3 - nr;
      double ea[kMaxClusterQ], rhs[kMaxClusterQ];
      if (index < pairs) {
        int k = 0, j = 0;
        VariancePairOf(index, &k, &j);
        double eb[kMaxClusterQ], kk[kMaxClusterQ * kMaxClusterQ];
        SmallMatVec(q, patterns + k * q * q, bba, ea);
        SmallMatVec(q, patterns + j * q * q, bbb, eb);
        for (int e = 0; e < q * q; ++e) kk[e] = v.k[e * st + c];
        SmallMatVec(q, kk, eb, rhs);
      } else {
        SmallMatVec(q, patterns + (index - pairs) * q * q, bba, ea);
        for (int i = 0; i < q; ++i) rhs[i] = v.b2[(i + b * q) * st + c];
      }
      for (int i = 0; i < q; ++i) sum += ea[i] * rhs[i];
    }
    out[n] = sum;
  }
}

}  // namespace lmm::kernels
