// From the merged pass-2 sums to what the evaluator needs: aliased columns dropped, X and y
// centered as the CPU evaluator centers them, and this process' share of the per-cluster pieces
// in the kernels' layout.
//
// Aliasing: R's qr() (design::AliasedColumns) keeps column j when its residual after projection
// on the kept earlier columns has norm above 1e-7 times its own norm. With G = X'X that residual's
// squared norm is G_jj - g_j' G_KK^{-1} g_j, computed here by an incremental Cholesky factor of
// G_KK in long double (exact in exact arithmetic; the long double sums keep ~1e-19 relative
// accuracy, far below the 1e-14 the squared tolerance needs).
//
// Centering (cpu::CrossProducts): with an intercept column (constant, nonzero), the other columns
// of X and y are shifted by their means m (rounded to double, as the CPU evaluator does), so
//   A   = sum (v - m)(v - m)' = sum v v' - m s' - s m' + n m m'   (s = sum v),
//   G_c = sum (v - m) z' = sum v z' - m s_c'.
#pragma once

#include <cstdint>
#include <vector>

#include "likelihood/cpu/cross_products.h"
#include "likelihood/gpu/cluster_pack.h"
#include "scale/cluster_sums.h"
#include "scale/collective.h"

namespace lmm::scale {

struct StreamPieces {
  int64_t n = 0;
  std::vector<int> kept;     // fixed-effects columns kept (indices into all columns)
  std::vector<int> aliased;  // and dropped
  cpu::CrossProducts cp;     // n, p, a ((p+1) x (p+1)) and centering: what FinishOneTerm reads
  gpu::HostClusters block;   // this process' clusters [first, first + block.clusters)
  int64_t first = 0;
  std::vector<int64_t> counts;  // rows per cluster, all clusters
};

// Merges the processes' sums over `collective` and finishes them. Consumes `sums`.
StreamPieces FinishPieces(ClusterSums&& sums, Collective& collective);

// Indices of the columns aliased by R's rule, from the lower triangle of G = X'X (column-major
// p x p) in long double.
std::vector<int> AliasedFromGram(const std::vector<long double>& gram, int stride, int p,
                                 double tolerance = 1e-7);

}  // namespace lmm::scale
