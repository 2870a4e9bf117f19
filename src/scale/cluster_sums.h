// Pass 2's accumulation: per-cluster sums over rows (in any order) and the whole-data sums, in
// long double, for all fixed-effects columns before aliasing, without centering. Memory is
// O(clusters (q^2 + q w)), independent of the number of rows.
//
// For cluster c with rows i and v_i = [x_i' y_i]' (w = p_all + 1 values):
//   D_c = sum z_i z_i',  G_c = sum v_i z_i',  s_c = sum z_i,  n_c = number of rows;
// and over all rows: sum v_i, sum v_i v_i', n, and each v column's minimum and maximum.
// These are sums, so the rows of a cluster may be spread over chunks and processes.
#pragma once

#include <cstdint>
#include <vector>

#include "scale/chunk_design.h"

namespace lmm::scale {

struct ClusterSums {
  int q = 0, w = 0;
  int64_t clusters = 0;
  // Per cluster (cluster-major, Entries() values each): D_c packed lower triangle
  // (kernels::PackedIndex), then G_c column-major (w x q), then s_c.
  std::vector<long double> table;
  std::vector<int64_t> counts;
  int64_t n = 0;
  std::vector<long double> sums;  // w
  std::vector<long double> gram;  // w x w, column-major, lower triangle
  std::vector<double> min, max;   // w

  ClusterSums(int64_t clusters_in, int q_in, int w_in);
  int64_t Entries() const;
  // Adds a chunk's rows.
  void Add(const ChunkRows& rows);
};

}  // namespace lmm::scale
