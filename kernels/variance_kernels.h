// Launchers of the batched small-sample variance kernels (kernels/variance_kernels.cu; mathematics:
// variance_math.h). Plain C++: callable from host code compiled by g++ (src/likelihood/gpu/).
//
// One pass is four launches on `stream`:
//  1. factors: one thread per cluster runs ClusterRowsFactor over its rows, then
//     ClusterVarianceFactors (writes the view's factors and outputs);
//  2. entries: one block per (entry (a, b) of the w x w outputs, chunk of kVarianceChunk matrix
//     pieces, split: a contiguous range of clusters); thread t sums ClusterVarianceEntries over
//     the range's clusters t, t + 256, ... in order, then the block adds the 256 partial sums in
//     a fixed tree;
//  3. splits: one thread per output adds the VarianceSplits partials in order;
//  4. scalars: one block per scalar, the same fixed-order sum over clusters.
// No atomics on doubles: the summation order depends only on the number of clusters, so results
// are reproducible run to run and device to device.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "variance_math.h"

namespace lmm::kernels {

inline constexpr int kVarianceChunk = 8;  // matrix pieces per block of the entries launch

// Cluster ranges of the entries launch: enough blocks to fill a device when w is small, a
// function of the number of clusters only (so the summation order is device-independent).
inline int VarianceSplits(int64_t clusters) {
  const int64_t s = clusters / 4096;
  return static_cast<int>(s < 1 ? 1 : (s > 64 ? 64 : s));
}

struct VariancePassArgs {
  VarianceClusterView view;              // device pointers; stride = number of clusters
  const double* d_rows = nullptr;        // rows [z xe] grouped by cluster, q + w doubles each
  const int64_t* d_row_start = nullptr;  // clusters + 1
  const double* d_lambda = nullptr;      // q x q column-major, lower triangular
  const double* d_patterns = nullptr;    // nr x (q x q)
  double* d_partial = nullptr;           // VarianceMatrixPieces(nr) x w x w x VarianceSplits
  double* d_pieces = nullptr;            // VarianceMatrixPieces(nr) x w x w: piece * w^2 + a + b w
  double* d_scalars = nullptr;           // VarianceScalars(nr)
};

// Requires view.q <= kMaxClusterQ, view.w <= kMaxClusterW, view.nr <= kMaxVarianceParams.
// Returns the first launch error (cudaGetLastError after each launch); with `sync_each_launch`
// also synchronizes the stream after each launch (debugging).
cudaError_t LaunchVariancePass(const VariancePassArgs& args, cudaStream_t stream,
                               bool sync_each_launch);

}  // namespace lmm::kernels
