// Per-cluster mathematics of many responses sharing one one-term design (fit --responses on the
// GPU), written once for the host (g++: the CPU batch of the lock-step fits and the tests) and the
// device (nvcc: kernels/response_kernels.cu).
//
// For responses y_1 .. y_K on the same X and Z, cluster c's stored cross-products
//   D_c = Z_c'Z_c   and   G_c(r) = [X_c y_r]'Z_c = [X_c'Z_c; y_r'Z_c]
// share everything except G_c's last row, y_r'Z_c (q numbers per cluster and response); the
// border [X y_r]'[X y_r] differs in its last row only (X'y_r, y_r'y_r), which the host keeps.
// Each response r is evaluated at its own Lambda_r exactly as cluster_math.h does for one
// response: L_c(r) L_c(r)' = Lambda_r' D_c Lambda_r + I, P_c(r) = G_c(r) Lambda_r L_c(r)^{-T},
// reduced over clusters into log|L(r)|^2 and sum_c P_c(r) P_c(r)' [Bates, Alday & Kokandakar
// 2025, sec. 3; DESIGN.md sec. 3].
#pragma once

#include <cstdint>

#include "cluster_math.h"

namespace lmm::kernels {

// The response rows of a group of responses (memory space: wherever the pointer points):
// yz holds y_r'Z_c for slot r (0 <= r < slots), entry k < q of cluster c at
// [(r * q + k) * stride + c] (structure of arrays, as ClusterView).
struct ResponseView {
  int64_t stride = 0;  // number of clusters stored (the design's stride)
  int q = 0;
  int slots = 0;
  const double* yz = nullptr;
};

// Cluster c for the response in `slot`: full column-major d (q x q) as LoadCluster, and the panel
// (w x q, w = design.w) with rows 0 .. w-2 (X_c'Z_c, transposed) from the design and row w-1
// from the response. The design's own row w-1 is not read.
LMM_HD inline void LoadResponseCluster(const ClusterView& design, const ResponseView& responses,
                                       int slot, int64_t c, double* d, double* panel) {
  const int q = design.q, w = design.w;
  for (int i = 0; i < q; ++i)
    for (int j = 0; j <= i; ++j) {
      const double x = design.d[PackedIndex(i, j) * design.stride + c];
      d[i + j * q] = x;
      d[j + i * q] = x;
    }
  for (int k = 0; k < q; ++k) {
    for (int r = 0; r + 1 < w; ++r)
      panel[r + k * w] = design.panel[(r + k * w) * design.stride + c];
    panel[w - 1 + k * w] =
        responses.yz[(static_cast<int64_t>(slot) * q + k) * responses.stride + c];
  }
}

// The whole per-(cluster, response) step: load, factor and solve at `lambda` (q x q column-major,
// the response's own); on return l holds L_c, panel holds P_c and *logdet = 2 log det L_c.
// Returns false as FactorClusterBlock does (non-finite input).
LMM_HD inline bool EliminateResponseCluster(const ClusterView& design,
                                            const ResponseView& responses, int slot, int64_t c,
                                            const double* lambda, double* d, double* l,
                                            double* panel, double* logdet) {
  LoadResponseCluster(design, responses, slot, c, d, panel);
  return EliminateCluster(design.q, design.w, lambda, d, l, panel, logdet);
}

}  // namespace lmm::kernels
