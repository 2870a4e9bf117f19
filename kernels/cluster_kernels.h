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
// only on the number of clusters).
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
  const double* d_lambda = nullptr;     // q x q column-major
  double* d_partials = nullptr;         // ReducedEntries(w) x blocks, entry-major (e * blocks + b)
  long long* d_block_failed = nullptr;  // blocks: first failing cluster of the block, or -1
  double* d_result = nullptr;           // ReducedEntries(w): the reduced sums
  long long* d_failed = nullptr;        // 1: first failing cluster, or -1
};

// Runs both launches (none of the first when count == 0: the result is then zeros and -1).
// Requires view.q <= kMaxClusterQ, view.w <= kMaxClusterW, and partial buffers sized for
// ShapeClusterPass(count). Returns the launch error (cudaGetLastError after each launch); with
// `sync_each_launch` also synchronizes the stream after each launch (debugging).
cudaError_t LaunchClusterPass(const ClusterPassArgs& args, cudaStream_t stream,
                              bool sync_each_launch);

}  // namespace lmm::kernels
