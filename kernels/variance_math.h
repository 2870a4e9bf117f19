// Per-cluster mathematics of the small-sample variance pieces (src/inference/ddf/variance_pieces.h)
// for a model with one random-effect term, written once for the host (g++: the host engine and its
// tests) and the device (nvcc: kernels/variance_kernels.cu). Plain loops on small column-major
// arrays; no allocation, no library calls, no exceptions.
//
// Relative units (V_r = V / sigma^2 = I + Z Lambda Lambda' Z'). Cluster c enters through the
// triangular factor of its rows [Z_c Xe_c] (Xe = [X e], w = p + 1 columns; ClusterRowsFactor:
// Givens rotations row by row, so no Gram matrix is formed and nothing cancels):
//   [Z_c Xe_c] = Q [T_z T_zx; 0 T_x],   T_z q x q, T_zx q x w, T_x w x w upper triangular.
// With Q_1 the first q columns of Q, Z = Q_1 T_z and V_r = I + Q_1 (G - I) Q_1', where
//   G = I + T_z Lambda Lambda' T_z' = L L'  (eigenvalues >= 1),   H = G^{-1},
// so V_r^{-k} = (I - Q_1 Q_1') + Q_1 H^k Q_1' and every piece is a sum of products, never a
// difference of cross-products (rows may be padded with zero rows; they change nothing):
//   Xe'V_r^{-k}Xe = T_x'T_x + T_zx'H^k T_zx   (k = 1, 2, 3: Y_x'Y_x, H1'H1, Y2'Y2 below)
//   K  = Z'V_r^{-1}Z = Y'Y,   Y = L^{-1}T_z;     K2 = Z'V_r^{-2}Z = (H T_z)'(H T_z)
//   BB = Z'V_r^{-1}Xe = Y'Y_x, Y_x = L^{-1}T_zx;  B2 = Z'V_r^{-2}Xe = (H T_z)'H1, H1 = H T_zx
//   tr(M S) = tr(I - H) = tr(H (G - I)),  tr(M S M S) = tr((H (G - I))^2)   (M S ~ I - H)
// and, E_k the q x q pattern of random parameter k (covariance_basis.h), nr of them:
//   pt_k = BB'E_k BB,  qt_kj = (E_k BB)'K (E_j BB) (k <= j < nr),  qt_k,res = (E_k BB)'B2,
//   tr_vg_k = tr(E_k K),  t_kj = tr(E_k K E_j K),  t_k,res = tr(E_k K2).
// The CPU row engine (variance_pieces.cc) forms the same sums row by row.
#pragma once

#include <cstdint>

#include "cluster_math.h"

namespace lmm::kernels {

inline constexpr int kMaxVarianceParams = 10;  // random parameters: q = 4 unstructured

// Number of random parameter pairs k <= j (PackedIndex(j, k) order).
LMM_HD inline int VariancePairs(int nr) { return PackedSize(nr); }
// Matrix pieces per entry (a, b) of the w x w outputs: T_x'T_x, Y_x'Y_x, H1'H1, Y2'Y2, pt_k,
// qt_kj (pairs), qt_k,res.
LMM_HD inline int VarianceMatrixPieces(int nr) { return 4 + nr + VariancePairs(nr) + nr; }
// Scalars per cluster: tr_ms, tr_msms, tr_vg_k, t_kj (pairs), t_k,res, then a failure flag
// (1 when G was not positive definite: non-finite input, else 0), so that their sum counts the
// failing clusters.
LMM_HD inline int VarianceScalars(int nr) { return 2 + nr + VariancePairs(nr) + nr + 1; }

// Per-cluster inputs and factors in structure-of-arrays layout: entry e of cluster c is at
// [e * stride + c]. Column-major within a cluster: tz, k: q x q (entry i + j q); tzx, yx, h1, y2,
// bb, b2: q x w (entry i + col q); tx: T_x(i, j), i <= j, at PackedIndex(j, i); scal:
// VarianceScalars(nr) entries.
struct VarianceClusterView {
  int64_t stride = 0;
  int q = 0;
  int w = 0;
  int nr = 0;
  double* tz = nullptr;  // written by ClusterRowsFactor, read by ClusterVarianceFactors
  double* tzx = nullptr;
  double* tx = nullptr;
  double* k = nullptr;  // outputs of ClusterVarianceFactors
  double* yx = nullptr;
  double* h1 = nullptr;
  double* y2 = nullptr;
  double* bb = nullptr;
  double* b2 = nullptr;
  double* scal = nullptr;
};

// Index of T(i, j), j >= i, in a d x d upper triangle packed row by row.
LMM_HD inline int UpperIndex(int i, int j, int d) { return i * d - i * (i - 1) / 2 + (j - i); }

// T <- the triangular factor of [T; r'] (d columns): Givens rotations, so T'T gains r r' and
// T's diagonal stays >= 0. r is overwritten.
LMM_HD inline void GivensAddRow(int d, double* t, double* r) {
  for (int j = 0; j < d; ++j) {
    if (r[j] == 0.0) continue;
    const int jj = UpperIndex(j, j, d);
    const double rho = hypot(t[jj], r[j]);
    const double cs = t[jj] / rho, sn = r[j] / rho;
    t[jj] = rho;
    for (int k = j + 1; k < d; ++k) {
      const double tk = t[jj + k - j];
      t[jj + k - j] = cs * tk + sn * r[k];
      r[k] = cs * r[k] - sn * tk;
    }
  }
}

// T_z, T_zx and T_x of cluster c from its rows [z_i xe_i] (row-major, q + w doubles each) rows
// [r0, r1) of `rows`, written to the view. Any number of rows, none included.
LMM_HD inline void ClusterRowsFactor(const VarianceClusterView& v, int64_t c, const double* rows,
                                     int64_t r0, int64_t r1) {
  constexpr int kD = kMaxClusterQ + kMaxClusterW;
  const int q = v.q, w = v.w, d = q + w;
  const int64_t st = v.stride;
  double t[kD * (kD + 1) / 2], r[kD];
  for (int e = 0; e < PackedSize(d); ++e) t[e] = 0.0;
  for (int64_t i = r0; i < r1; ++i) {
    for (int e = 0; e < d; ++e) r[e] = rows[i * d + e];
    GivensAddRow(d, t, r);
  }
  for (int j = 0; j < q; ++j)
    for (int i = 0; i < q; ++i) v.tz[(i + j * q) * st + c] = i <= j ? t[UpperIndex(i, j, d)] : 0.0;
  for (int j = 0; j < w; ++j)
    for (int i = 0; i < q; ++i) v.tzx[(i + j * q) * st + c] = t[UpperIndex(i, q + j, d)];
  for (int j = 0; j < w; ++j)
    for (int i = 0; i <= j; ++i) v.tx[PackedIndex(j, i) * st + c] = t[UpperIndex(q + i, q + j, d)];
}

// x (q) <- L^{-1} x, L lower triangular column-major.
LMM_HD inline void SmallForward(int q, const double* l, double* x) {
  for (int i = 0; i < q; ++i) {
    double s = x[i];
    for (int t = 0; t < i; ++t) s -= l[i + t * q] * x[t];
    x[i] = s / l[i + i * q];
  }
}
// x (q) <- L^{-T} x.
LMM_HD inline void SmallBackward(int q, const double* l, double* x) {
  for (int i = q - 1; i >= 0; --i) {
    double s = x[i];
    for (int t = i + 1; t < q; ++t) s -= l[t + i * q] * x[t];
    x[i] = s / l[i + i * q];
  }
}

// Factors of cluster c from its T_z and T_zx, lambda (q x q lower triangular) and the nr patterns
// (nr consecutive q x q column-major matrices). Writes k, yx, h1, y2, bb, b2 and scal of cluster
// c; on failure all are zero except the failure flag.
LMM_HD inline void ClusterVarianceFactors(const VarianceClusterView& v, int64_t c,
                                          const double* lambda, const double* patterns) {
  constexpr int kQQ = kMaxClusterQ * kMaxClusterQ;
  const int q = v.q, w = v.w, nr = v.nr;
  const int64_t st = v.stride;
  const int ns = VarianceScalars(nr);
  double tz[kQQ], g[kQQ], l[kQQ], a[kQQ], b[kQQ];
  for (int e = 0; e < q * q; ++e) tz[e] = v.tz[e * st + c];
  // a = T_z Lambda, g = a a' (= G - I), l = chol(I + g).
  for (int j = 0; j < q; ++j)
    for (int i = 0; i < q; ++i) {
      double x = 0;
      for (int t = j; t < q; ++t) x += tz[i + t * q] * lambda[t + j * q];
      a[i + j * q] = x;
    }
  for (int j = 0; j < q; ++j)
    for (int i = 0; i < q; ++i) {
      double x = 0;
      for (int t = 0; t < q; ++t) x += a[i + t * q] * a[j + t * q];
      g[i + j * q] = x;
    }
  bool ok = true;
  for (int j = 0; j < q && ok; ++j) {
    double pivot = 1.0 + g[j + j * q];
    for (int t = 0; t < j; ++t) pivot -= l[j + t * q] * l[j + t * q];
    if (!(pivot > 0)) {
      ok = false;
      break;
    }
    pivot = sqrt(pivot);
    l[j + j * q] = pivot;
    for (int i = j + 1; i < q; ++i) {
      double x = g[i + j * q];
      for (int t = 0; t < j; ++t) x -= l[i + t * q] * l[j + t * q];
      l[i + j * q] = x / pivot;
    }
  }
  if (!ok) {
    for (int e = 0; e < q * q; ++e) v.k[e * st + c] = 0.0;
    for (int e = 0; e < q * w; ++e)
      v.yx[e * st + c] = v.h1[e * st + c] = v.y2[e * st + c] = v.bb[e * st + c] = v.b2[e * st + c] =
          0.0;
    for (int e = 0; e < ns - 1; ++e) v.scal[e * st + c] = 0.0;
    v.scal[(ns - 1) * st + c] = 1.0;
    return;
  }
  // a <- Y = L^{-1} T_z, b <- H T_z = L^{-T} Y (column by column).
  for (int j = 0; j < q; ++j) {
    double col[kMaxClusterQ];
    for (int i = 0; i < q; ++i) col[i] = tz[i + j * q];
    SmallForward(q, l, col);
    for (int i = 0; i < q; ++i) a[i + j * q] = col[i];
    SmallBackward(q, l, col);
    for (int i = 0; i < q; ++i) b[i + j * q] = col[i];
  }
  // K = Y'Y.
  double k[kQQ];
  for (int j = 0; j < q; ++j)
    for (int i = 0; i < q; ++i) {
      double x = 0;
      for (int t = 0; t < q; ++t) x += a[t + i * q] * a[t + j * q];
      k[i + j * q] = x;
      v.k[(i + j * q) * st + c] = x;
    }
  // Column by column of T_zx: Y_x, H1 = H t, Y2 = L^{-1} H1, BB = Y'Y_x, B2 = (H T_z)'H1.
  for (int col = 0; col < w; ++col) {
    double yx[kMaxClusterQ], h1[kMaxClusterQ];
    for (int i = 0; i < q; ++i) yx[i] = v.tzx[(i + col * q) * st + c];
    SmallForward(q, l, yx);
    for (int i = 0; i < q; ++i) h1[i] = yx[i];
    SmallBackward(q, l, h1);
    for (int i = 0; i < q; ++i) {
      double bb = 0, b2 = 0;
      for (int t = 0; t < q; ++t) {
        bb += a[t + i * q] * yx[t];
        b2 += b[t + i * q] * h1[t];
      }
      v.yx[(i + col * q) * st + c] = yx[i];
      v.h1[(i + col * q) * st + c] = h1[i];
      v.bb[(i + col * q) * st + c] = bb;
      v.b2[(i + col * q) * st + c] = b2;
    }
    SmallForward(q, l, h1);  // Y2 = L^{-1} H1
    for (int i = 0; i < q; ++i) v.y2[(i + col * q) * st + c] = h1[i];
  }
  // I - H = H (G - I) = L^{-T} L^{-1} (G - I), in a (Y is no longer needed).
  for (int j = 0; j < q; ++j) {
    double col[kMaxClusterQ];
    for (int i = 0; i < q; ++i) col[i] = g[i + j * q];
    SmallForward(q, l, col);
    SmallBackward(q, l, col);
    for (int i = 0; i < q; ++i) a[i + j * q] = col[i];
  }
  double tr_ms = 0, tr_msms = 0;
  for (int i = 0; i < q; ++i) {
    tr_ms += a[i + i * q];
    for (int j = 0; j < q; ++j) tr_msms += a[i + j * q] * a[j + i * q];
  }
  v.scal[0 * st + c] = tr_ms;
  v.scal[1 * st + c] = tr_msms;
  // K2 = (H T_z)'(H T_z) in g.
  for (int j = 0; j < q; ++j)
    for (int i = 0; i < q; ++i) {
      double x = 0;
      for (int t = 0; t < q; ++t) x += b[t + i * q] * b[t + j * q];
      g[i + j * q] = x;
    }
  const int pairs = VariancePairs(nr);
  for (int e = 0; e < nr; ++e) {
    const double* pe = patterns + e * q * q;
    double tr_vg = 0, t_res = 0;
    for (int i = 0; i < q * q; ++i) {
      tr_vg += pe[i] * k[i];
      t_res += pe[i] * g[i];
    }
    v.scal[(2 + e) * st + c] = tr_vg;
    v.scal[(2 + nr + pairs + e) * st + c] = t_res;
  }
  // t_kj = tr(E_k K E_j K) = sum_{i,j} (E_k K)(i, j) (E_j K)(j, i).
  for (int e = 0; e < nr; ++e)
    for (int f = e; f < nr; ++f) {
      const double* pe = patterns + e * q * q;
      const double* pf = patterns + f * q * q;
      double sum = 0;
      for (int i = 0; i < q; ++i)
        for (int j = 0; j < q; ++j) {
          double x = 0, y = 0;  // (E_e K)(i, j), (E_f K)(j, i)
          for (int t = 0; t < q; ++t) {
            x += pe[i + t * q] * k[t + j * q];
            y += pf[j + t * q] * k[t + i * q];
          }
          sum += x * y;
        }
      v.scal[(2 + nr + PackedIndex(f, e)) * st + c] = sum;
    }
  v.scal[(ns - 1) * st + c] = 0.0;
}

// y (q) <- a x, a q x q column-major.
LMM_HD inline void SmallMatVec(int q, const double* a, const double* x, double* y) {
  for (int i = 0; i < q; ++i) {
    double s = 0;
    for (int j = 0; j < q; ++j) s += a[i + j * q] * x[j];
    y[i] = s;
  }
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
  auto dot = [&](const double* x, const double* y) {
    double s = 0;
    for (int i = 0; i < q; ++i) s += x[(i + a * q) * st + c] * y[(i + b * q) * st + c];
    return s;
  };
  for (int n = 0; n < count; ++n) {
    const int piece = first + n;
    double sum = 0;
    if (piece == 0) {
      const int top = a < b ? a : b;
      for (int i = 0; i <= top; ++i)
        sum += v.tx[PackedIndex(a, i) * st + c] * v.tx[PackedIndex(b, i) * st + c];
    } else if (piece == 1) {
      sum = dot(v.yx, v.yx);
    } else if (piece == 2) {
      sum = dot(v.h1, v.h1);
    } else if (piece == 3) {
      sum = dot(v.y2, v.y2);
    } else {
      double bba[kMaxClusterQ], bbb[kMaxClusterQ];
      for (int i = 0; i < q; ++i) {
        bba[i] = v.bb[(i + a * q) * st + c];
        bbb[i] = v.bb[(i + b * q) * st + c];
      }
      double ea[kMaxClusterQ], rhs[kMaxClusterQ];
      if (piece < 4 + nr) {
        SmallMatVec(q, patterns + (piece - 4) * q * q, bbb, rhs);
        for (int i = 0; i < q; ++i) ea[i] = bba[i];
      } else if (piece - 4 - nr < pairs) {
        int k = 0, j = 0;
        VariancePairOf(piece - 4 - nr, &k, &j);
        double eb[kMaxClusterQ], kk[kMaxClusterQ * kMaxClusterQ];
        SmallMatVec(q, patterns + k * q * q, bba, ea);
        SmallMatVec(q, patterns + j * q * q, bbb, eb);
        for (int e = 0; e < q * q; ++e) kk[e] = v.k[e * st + c];
        SmallMatVec(q, kk, eb, rhs);
      } else {
        SmallMatVec(q, patterns + (piece - 4 - nr - pairs) * q * q, bba, ea);
        for (int i = 0; i < q; ++i) rhs[i] = v.b2[(i + b * q) * st + c];
      }
      for (int i = 0; i < q; ++i) sum += ea[i] * rhs[i];
    }
    out[n] = sum;
  }
}

}  // namespace lmm::kernels
