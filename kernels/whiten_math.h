// Per-cluster whitening of a residual structure for the one-term kernels, written once for the
// host (g++: the CPU tests, the host reference pass) and the device (nvcc: whiten_kernels.cu).
// Plain loops; no allocation, no library calls, no exceptions.
//
// A cluster c of the residual structure (residual/clusters.h) with var(e_c) = sigma^2 R_c and
// R_c = L_c L_c' is whitened by premultiplying its rows of [Z X y] by L_c^{-1}; the whitened model
// has independent residuals [Pinheiro & Bates 2000, sec. 5.1.1], and when the clusters are the
// levels of the model's single random-effect term the whitened cross-products are again per
// cluster:
//   D_c = Z~_c'Z~_c,  G_c = [X~_c y~_c]'Z~_c,  A_c = [X~_c y~_c]'[X~_c y~_c],
// with Z~_c = L_c^{-1} Z_c etc. D_c and G_c are what kernels::ClusterView stores (cluster_math.h);
// sum_c A_c is [X~ y~]'[X~ y~], the dense corner of the one-term finish (one_term_host.h).
// Centering (cpu::BuildCrossProducts): the CPU evaluator of the whitened frame centers X's columns
// and y at their means when the whitened intercept column is constant; `shift` carries those
// means (zeros otherwise) and is subtracted from the whitened X and y values, as the CPU does.
#pragma once

#include <cstdint>

#include "cluster_math.h"

namespace lmm::kernels {

inline constexpr int kMaxWhitenColumns = kMaxClusterQ + kMaxClusterW;
// Rows of one cluster at most: L^{-1} is indexed by PackedIndex/PackedSize in int arithmetic,
// and m (m + 1) / 2 must not overflow it (46340 * 46341 < 2^31 <= 46341 * 46342).
inline constexpr int kMaxWhitenRows = 46340;

// The residual rows, clusters in ClusterView order (cluster c is level c of the term). Memory
// space: wherever the pointers point.
//   rows:     entries x (q + w), column-major (value of entry e, column j at j * entries + e);
//             columns: the q of Z, the p of X, y. Cluster c's entries are
//             [offsets[c], offsets[c + 1]), in the residual structure's order (increasing time).
//   pattern:  per cluster, its covariance pattern (R_c depends on c only through it);
//   inverses: per pattern k, L^{-1} (m x m lower triangular, m the pattern's cluster size) packed
//             row by row (PackedIndex) from inverses + inverse_offset[k];
//   shift:    w values subtracted from the whitened X and y columns (the centering; zeros if none).
struct WhitenView {
  int64_t clusters = 0;
  int64_t entries = 0;
  int q = 0;
  int w = 0;
  const double* rows = nullptr;
  const int64_t* offsets = nullptr;
  const int32_t* pattern = nullptr;
  const int64_t* inverse_offset = nullptr;
  const double* inverses = nullptr;
  const double* shift = nullptr;
};

// out (q + w values) <- whitened row i of the cluster whose first entry is e0:
// out[j] = sum_{k <= i} L^{-1}(i, k) rows(e0 + k, j), in increasing k, less shift on X and y.
LMM_HD inline void WhitenRow(const WhitenView& v, int64_t e0, const double* inverse, int i,
                             double* out) {
  const int cols = v.q + v.w;
  const double* li = inverse + PackedIndex(i, 0);
  for (int j = 0; j < cols; ++j) {
    const double* col = v.rows + static_cast<int64_t>(j) * v.entries + e0;
    double s = 0;
    for (int k = 0; k <= i; ++k) s += li[k] * col[k];
    out[j] = j < v.q ? s : s - v.shift[j - v.q];
  }
}

// Cluster c's whitened cross-products: d <- D_c (PackedSize(q), PackedIndex order), panel <- G_c
// (w x q column-major, entry r + a w), a <- A_c (PackedSize(w)); each sum over the cluster's rows
// in order. An empty cluster gives zeros.
LMM_HD inline void WhitenCluster(const WhitenView& v, int64_t c, double* d, double* panel,
                                 double* a) {
  const int q = v.q, w = v.w;
  for (int e = 0; e < PackedSize(q); ++e) d[e] = 0;
  for (int e = 0; e < w * q; ++e) panel[e] = 0;
  for (int e = 0; e < PackedSize(w); ++e) a[e] = 0;
  const int64_t e0 = v.offsets[c];
  const int m = static_cast<int>(v.offsets[c + 1] - e0);
  if (m == 0) return;
  const double* inverse = v.inverses + v.inverse_offset[v.pattern[c]];
  double row[kMaxWhitenColumns];
  for (int i = 0; i < m; ++i) {
    WhitenRow(v, e0, inverse, i, row);
    const double* z = row;
    const double* xy = row + q;
    for (int s = 0; s < q; ++s)
      for (int t = 0; t <= s; ++t) d[PackedIndex(s, t)] += z[s] * z[t];
    for (int b = 0; b < q; ++b)
      for (int r = 0; r < w; ++r) panel[r + b * w] += xy[r] * z[b];
    for (int s = 0; s < w; ++s)
      for (int t = 0; t <= s; ++t) a[PackedIndex(s, t)] += xy[s] * xy[t];
  }
}

// Stores cluster c's d and panel (as WhitenCluster writes them) into the structure-of-arrays
// layout of ClusterView (entry e at e * stride + c); the pointers are those of a ClusterView
// with `stride` clusters.
LMM_HD inline void StoreCluster(int64_t stride, int q, int w, int64_t c, const double* d,
                                const double* panel, double* view_d, double* view_panel) {
  for (int e = 0; e < PackedSize(q); ++e) view_d[e * stride + c] = d[e];
  for (int e = 0; e < w * q; ++e) view_panel[e * stride + c] = panel[e];
}

}  // namespace lmm::kernels
