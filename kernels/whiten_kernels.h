// Launcher of the batched whitening of a residual structure (kernels/whiten_kernels.cu). Plain
// C++: callable from host code compiled by g++ (src/likelihood/gpu/).
//
// One whitening is two launches on `stream`:
//  1. WhitenPass: one thread per cluster runs WhitenCluster (whiten_math.h), stores D_c and G_c
//     in place in the ClusterView arrays, and the block sums its clusters' A_c (packed lower
//     triangle) into per-block partials, warp by warp in a fixed order;
//  2. a reduction: one block per entry sums the partials in a fixed tree.
// The grid is ShapeClusterPass(clusters) (cluster_shape.h), so the summation order depends only on
// the number of clusters: no atomics, the same result on every run and device.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "cluster_shape.h"
#include "whiten_math.h"

namespace lmm::kernels {

struct WhitenPassArgs {
  WhitenView view;               // device pointers
  double* d_d = nullptr;         // ClusterView d, stride view.clusters (written)
  double* d_panel = nullptr;     // ClusterView panel, stride view.clusters (written)
  double* d_partials = nullptr;  // at least PackedSize(w) x blocks, entry-major (e * blocks + b)
  double* d_result = nullptr;    // PackedSize(w): sum_c A_c
};

// Requires view.q <= kMaxClusterQ, view.w <= kMaxClusterW and partials sized for
// ShapeClusterPass(view.clusters). With no clusters the result is zeros. Returns the launch error
// (cudaGetLastError after each launch); with `sync_each_launch` also synchronizes after each.
cudaError_t LaunchWhitenPass(const WhitenPassArgs& args, cudaStream_t stream,
                             bool sync_each_launch);

}  // namespace lmm::kernels
