// Launchers of the batched per-cluster kernels (kernels/cluster_kernels.cu). Plain C++: callable
// from host code compiled by g++ (src/likelihood/gpu/).
//
// One evaluation is two launches on `stream`:
//  1. ClusterPass: one thread per cluster runs EliminateCluster (cluster_math.h) and the block
//     sums its clusters' log-determinants and P_c P_c' (packed lower triangle) into per-block
//     partials, warp by warp in a fixed order;
//  2. ReducePartials: one block per entry sums the per-block partials in a fixed tree.
// No atomics on doubles: for a given number of clusters the summation order is fixed, so results
// are reproducible run to run (and independent of the device, since the launch shape depends
// only on the number of clusters). With `block` > 0 the same two launches reduce consecutive
// blocks of `block` clusters each by itself (cluster_shape.h: ShapeClusterBlocks), every block
// summed exactly as a launch over it alone would sum it.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "cluster_math.h"
#include "cluster_shape.h"

namespace lmm::kernels {

struct ClusterPassArgs {
  ClusterView view;   // device pointers
  int64_t begin = 0;  // clusters [begin, begin + count) of the view
  int64_t count = 0;
  int64_t block = 0;  // > 0: reduce blocks of this many clusters apart; 0: all as one block
  const double* d_lambda = nullptr;  // q x q column-major
  // With s = ShapeClusterBlocks(count, block) (s.ctas() == ShapeClusterPass(count).blocks for
  // block 0): partials ReducedEntries(w) x s.ctas_per_block per reduction, entry-major within
  // it; block_failed s.ctas(): first failing cluster of each CTA, or -1.
  double* d_partials = nullptr;
  long long* d_block_failed = nullptr;
  double* d_result = nullptr;     // s.reductions x ReducedEntries(w): the reduced sums
  long long* d_failed = nullptr;  // s.reductions: first failing cluster (view index), or -1
};

// Runs both launches (none when block > 0 and count == 0; none of the first when count == 0:
// the one result is then zeros and -1). Requires view.q <= kMaxClusterQ, view.w <=
// kMaxClusterW, and buffers sized as above. Returns the launch error (cudaGetLastError after
// each launch; cudaErrorInvalidConfiguration for a grid past 2^31 - 1 blocks); with
// `sync_each_launch` also synchronizes the stream after each launch (debugging).
cudaError_t LaunchClusterPass(const ClusterPassArgs& args, cudaStream_t stream,
                              bool sync_each_launch);

}  // namespace lmm::kernels
