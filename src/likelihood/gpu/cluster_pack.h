// Host copy of a one-term model's per-cluster cross-products in the device layout
// (kernels::ClusterView: structure of arrays), made from the CPU backend's cross-products so that
// both backends start from the same numbers (same centering, same summation order).
#pragma once

#include <cstdint>
#include <vector>

#include "cluster_math.h"
#include "likelihood/cpu/cross_products.h"

namespace lmm::gpu {

struct HostClusters {
  int64_t clusters = 0;
  int q = 0;
  int w = 0;                  // p + 1
  std::vector<double> d;      // PackedSize(q) x clusters, entry-major
  std::vector<double> panel;  // w q x clusters, entry-major

  kernels::ClusterView view() const { return {clusters, q, w, d.data(), panel.data()}; }
};

// Requires a model with one random-effect term (cp.rest empty: every level's panel is the w x q
// block [X_c y_c]'Z_c).
inline HostClusters PackClusters(const cpu::CrossProducts& cp) {
  HostClusters h;
  h.clusters = cp.l0;
  h.q = cp.q0;
  h.w = cp.p + 1;
  const int q = h.q, w = h.w;
  const int64_t n = h.clusters;
  h.d.resize(static_cast<size_t>(kernels::PackedSize(q) * n));
  h.panel.resize(static_cast<size_t>(w * q * n));
  for (int64_t c = 0; c < n; ++c) {
    const double* d = cp.d.data() + c * q * q;
    for (int i = 0; i < q; ++i)
      for (int j = 0; j <= i; ++j) h.d[kernels::PackedIndex(i, j) * n + c] = d[i + j * q];
    const double* panel = cp.panel.data() + cp.panel_off[c];
    for (int e = 0; e < w * q; ++e) h.panel[e * n + c] = panel[e];
  }
  return h;
}

}  // namespace lmm::gpu
