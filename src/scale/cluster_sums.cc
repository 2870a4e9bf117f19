#include "scale/cluster_sums.h"

#include <algorithm>
#include <limits>

#include "cluster_math.h"

namespace lmm::scale {

ClusterSums::ClusterSums(int64_t clusters_in, int q_in, int w_in)
    : q(q_in), w(w_in), clusters(clusters_in) {
  table.assign(static_cast<size_t>(clusters * Entries()), 0.0L);
  counts.assign(static_cast<size_t>(clusters), 0);
  sums.assign(static_cast<size_t>(w), 0.0L);
  gram.assign(static_cast<size_t>(w * w), 0.0L);
  min.assign(static_cast<size_t>(w), std::numeric_limits<double>::infinity());
  max.assign(static_cast<size_t>(w), -std::numeric_limits<double>::infinity());
}

int64_t ClusterSums::Entries() const { return kernels::PackedSize(q) + int64_t{w} * q + q; }

void ClusterSums::Add(const ChunkRows& rows) {
  const int64_t nu = static_cast<int64_t>(rows.cluster.size());
  const int p = w - 1;
  const int64_t entries = Entries();
  const int packed = kernels::PackedSize(q);
  std::vector<double> v(static_cast<size_t>(w));
  for (int64_t i = 0; i < nu; ++i) {
    for (int j = 0; j < p; ++j) v[j] = rows.x(i, j);
    v[p] = rows.y(i);
    const int64_t c = rows.cluster[static_cast<size_t>(i)];
    ++counts[static_cast<size_t>(c)];
    long double* t = table.data() + c * entries;
    for (int a = 0; a < q; ++a) {
      const long double za = rows.z(i, a);
      for (int b = 0; b <= a; ++b) t[kernels::PackedIndex(a, b)] += za * rows.z(i, b);
      long double* g = t + packed + a * w;
      for (int j = 0; j < w; ++j) g[j] += za * v[j];
      t[packed + w * q + a] += za;
    }
    for (int j = 0; j < w; ++j) {
      const long double vj = v[j];
      sums[j] += vj;
      for (int k = j; k < w; ++k) gram[k + j * w] += vj * v[k];
      min[j] = std::min(min[j], v[j]);
      max[j] = std::max(max[j], v[j]);
    }
  }
  n += nu;
}

}  // namespace lmm::scale
