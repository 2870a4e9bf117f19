// Launchers of the batched many-response kernels (kernels/response_kernels.cu). Plain C++:
// callable from host code compiled by g++ (src/likelihood/gpu/).
//
// One batched evaluation of K responses (one per slot of a loaded group) at K Lambdas is two
// launches on `stream`, with grid.y = K (evaluation i takes slot slots[i] at Lambda i):
//  1. ResponsePass: per evaluation, blocks of kClusterThreads threads over the clusters exactly
//     as cluster_kernels.h's ClusterPass (same ShapeClusterPass, same per-warp and per-block
//     order), each thread running EliminateResponseCluster (response_math.h);
//  2. ReducePartials: per evaluation, one block per entry sums the per-block partials in a fixed
//     tree, and one block takes the first failing cluster.
// No atomics: for a given number of clusters every evaluation sums in the same fixed order,
// independent of K, of the other slots and of the device.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "cluster_math.h"
#include "cluster_shape.h"
#include "response_math.h"

namespace lmm::kernels {

struct ResponsePassArgs {
  ClusterView design;                   // device pointers: D_c and X_c'Z_c (the y row is not read)
  ResponseView responses;               // device pointer: the loaded group's y'Z_c
  int evaluations = 0;                  // K
  const int* d_slots = nullptr;         // K slots
  const double* d_lambdas = nullptr;    // K x (q x q column-major)
  double* d_partials = nullptr;         // K x ReducedEntries(w) x blocks: ((i E + e) blocks + b)
  long long* d_block_failed = nullptr;  // K x blocks: first failing cluster of the block, or -1
  double* d_results = nullptr;          // K x ReducedEntries(w): downdate (packed), then log|L|^2
  long long* d_failed = nullptr;        // K: first failing cluster, or -1
};

// Runs both launches (nothing when evaluations == 0; only the second when there are no clusters:
// zeros and -1). Requires design.q <= kMaxClusterQ, design.w <= kMaxClusterW, evaluations <=
// 65535 and buffers sized for ShapeClusterPass(design.stride). Returns the launch error
// (cudaGetLastError after each launch); with `sync_each_launch` also synchronizes the stream
// after each launch.
cudaError_t LaunchResponsePass(const ResponsePassArgs& args, cudaStream_t stream,
                               bool sync_each_launch);

}  // namespace lmm::kernels
