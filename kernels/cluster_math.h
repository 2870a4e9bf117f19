// Per-cluster mathematics of the one-grouping-factor blocked Cholesky, written once for the host
// (g++: the CPU tests and the GPU evaluator's host-side back-substitution) and the device (nvcc:
// kernels/cluster_kernels.cu). Plain loops on small column-major arrays; no allocation, no
// library calls, no exceptions.
//
// For cluster c (one level of the single grouping factor) with stored cross-products
// D_c = Z_c'Z_c (q x q) and G_c = [X_c y_c]'Z_c (w x q, w = p + 1):
//   L_c L_c' = Lambda' D_c Lambda + I                          (q x q Cholesky)
//   P_c      = G_c Lambda L_c^{-T}                             (w x q)
//   log|L|^2 = sum_c 2 log det L_c
//   S        = [X y]'[X y] - sum_c P_c P_c'                    ((p+1) x (p+1), then dense Cholesky)
// [Bates, Alday & Kokandakar 2025, sec. 3; DESIGN.md sec. 3: "for one grouping factor everything
// is per cluster"]. L_c's pivots are >= 1 because Lambda'D_c Lambda is positive semidefinite, so
// the only failures are non-finite inputs.
#pragma once

#include <cmath>
#include <cstdint>

// The one definition of the host/device qualifier: empty for a host compiler.
#if defined(__CUDACC__)
#define LMM_HD __host__ __device__
#else
#define LMM_HD
#endif

namespace lmm::kernels {

inline constexpr int kMaxClusterQ = 8;   // columns of the random-effect term
inline constexpr int kMaxClusterW = 32;  // p + 1: columns of [X y]

// Index of (i, j), i >= j, in a packed lower triangle stored row by row.
LMM_HD inline int PackedIndex(int i, int j) { return i * (i + 1) / 2 + j; }
LMM_HD inline int PackedSize(int n) { return n * (n + 1) / 2; }

// Per-cluster cross-products in structure-of-arrays layout (memory space: wherever the pointers
// point): entry e of cluster c is at [e * stride + c], so that consecutive threads read
// consecutive addresses.
//   d:     PackedSize(q) entries, the lower triangle of D_c = Z_c'Z_c (PackedIndex order);
//   panel: w * q entries, G_c = [X_c y_c]'Z_c column-major (entry r + k * w).
struct ClusterView {
  int64_t stride = 0;  // number of clusters stored
  int q = 0;
  int w = 0;
  const double* d = nullptr;
  const double* panel = nullptr;
};

// Copies cluster c into full column-major d (q x q, both triangles) and panel (w x q).
LMM_HD inline void LoadCluster(const ClusterView& v, int64_t c, double* d, double* panel) {
  const int q = v.q;
  for (int i = 0; i < q; ++i)
    for (int j = 0; j <= i; ++j) {
      const double x = v.d[PackedIndex(i, j) * v.stride + c];
      d[i + j * q] = x;
      d[j + i * q] = x;
    }
  for (int e = 0; e < v.w * q; ++e) panel[e] = v.panel[e * v.stride + c];
}

// l (q x q, lower triangle written) <- chol(Lambda' d Lambda + I), lambda lower triangular and d
// symmetric, both column-major. *logdet <- 2 log det L. Returns false when a pivot is not
// positive (non-finite input); l and *logdet are then unspecified.
LMM_HD inline bool FactorClusterBlock(int q, const double* lambda, const double* d, double* l,
                                      double* logdet) {
  // l(i, j) = sum_{a >= i, b >= j} Lambda(a, i) d(a, b) Lambda(b, j) + [i == j], lower triangle.
  for (int j = 0; j < q; ++j)
    for (int i = j; i < q; ++i) {
      double s = i == j ? 1.0 : 0.0;
      for (int a = i; a < q; ++a) {
        double da = 0;
        for (int b = j; b < q; ++b) da += d[a + b * q] * lambda[b + j * q];
        s += lambda[a + i * q] * da;
      }
      l[i + j * q] = s;
    }
  // In-place Cholesky, left-looking.
  double product = 1.0;
  for (int j = 0; j < q; ++j) {
    double pivot = l[j + j * q];
    for (int k = 0; k < j; ++k) pivot -= l[j + k * q] * l[j + k * q];
    if (!(pivot > 0)) return false;
    pivot = sqrt(pivot);
    l[j + j * q] = pivot;
    product *= pivot;
    for (int i = j + 1; i < q; ++i) {
      double s = l[i + j * q];
      for (int k = 0; k < j; ++k) s -= l[i + k * q] * l[j + k * q];
      l[i + j * q] = s / pivot;
    }
  }
  // One log per cluster: the q pivots are >= 1 and their product stays far from overflow for any
  // finite cross-products of realistic size.
  *logdet = 2.0 * log(product);
  return true;
}

// panel (w x q, column-major) <- panel Lambda L^{-T}, in place.
LMM_HD inline void SolveClusterPanel(int q, int w, const double* lambda, const double* l,
                                     double* panel) {
  // panel Lambda: column j uses columns k >= j only, so ascending j is in place.
  for (int j = 0; j < q; ++j)
    for (int r = 0; r < w; ++r) {
      double s = 0;
      for (int k = j; k < q; ++k) s += panel[r + k * w] * lambda[k + j * q];
      panel[r + j * w] = s;
    }
  // X L' = panel: X(:, j) = (panel(:, j) - sum_{k<j} X(:, k) L(j, k)) / L(j, j).
  for (int j = 0; j < q; ++j) {
    const double inv = 1.0 / l[j + j * q];
    for (int r = 0; r < w; ++r) {
      double s = panel[r + j * w];
      for (int k = 0; k < j; ++k) s -= panel[r + k * w] * l[j + k * q];
      panel[r + j * w] = s * inv;
    }
  }
}

// (P P')(i, j) for P = the solved panel (w x q).
LMM_HD inline double DowndateEntry(int q, int w, const double* panel, int i, int j) {
  double s = 0;
  for (int k = 0; k < q; ++k) s += panel[i + k * w] * panel[j + k * w];
  return s;
}

// The whole per-cluster step: d and panel as LoadCluster writes them; on return l holds L_c and
// panel holds P_c. Returns false as FactorClusterBlock does.
LMM_HD inline bool EliminateCluster(int q, int w, const double* lambda, const double* d, double* l,
                                    double* panel, double* logdet) {
  if (!FactorClusterBlock(q, lambda, d, l, logdet)) return false;
  SolveClusterPanel(q, w, lambda, l, panel);
  return true;
}

}  // namespace lmm::kernels
