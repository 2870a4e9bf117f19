// Device pieces of the cluster-pass kernels (cluster_kernels.cu, response_kernels.cu): each block
// keeps kClusterWarps rows of running sums in shared memory (one per warp, the packed downdate of
// [X y] then the log-determinant: ReducedEntries(w) numbers) and writes one partial per entry and
// its first failed cluster. Fixed order throughout (kernel_util.cuh), so results are reproducible.
#pragma once

#include "cluster_math.h"
#include "kernel_util.cuh"

namespace lmm::kernels {

// Adds one cluster per lane of the calling warp to the warp's row `my_sum`: the sum over its
// lanes of P_c P_c' entries (DowndateEntry of the eliminated `panel`) and of `logdet`, lanes whose
// cluster is absent or failed (`ok` false) adding zeros. Every lane must call it; lane 0 writes.
__device__ __forceinline__ void AddToWarpSums(bool ok, int q, int w, const double* panel,
                                              double logdet, int lane, double* my_sum) {
  // Every lane runs every entry (the shuffles need the whole warp).
  for (int i = 0; i < w; ++i)
    for (int j = 0; j <= i; ++j) {
      const double x = WarpSum(ok ? DowndateEntry(q, w, panel, i, j) : 0.0);
      if (lane == 0) my_sum[PackedIndex(i, j)] += x;
    }
  const double x = WarpSum(ok ? logdet : 0.0);
  if (lane == 0) my_sum[ReducedEntries(w) - 1] += x;
}

// The block's results after its rounds: entry e of the warps' rows summed in warp order into
// partials[e * blocks + block] (block `block` of a launch of `blocks`), and the smallest of the
// threads' first failures (sh_failed, one per thread) into *block_failed. Call after
// __syncthreads() from every thread.
__device__ __forceinline__ void WriteBlockPartials(const double* sh_sum, const long long* sh_failed,
                                                   int entries, double* partials, int blocks,
                                                   int block, long long* block_failed) {
  for (int e = threadIdx.x; e < entries; e += blockDim.x)
    partials[static_cast<int64_t>(e) * blocks + block] = WarpRowsSum(sh_sum, entries, e);
  if (threadIdx.x == 0) {
    long long first = -1;
    for (int t = 0; t < kClusterThreads; ++t) first = FirstFailed(first, sh_failed[t]);
    *block_failed = first;
  }
}

// The same for this block of the whole grid: partials[e * gridDim.x + blockIdx.x].
__device__ __forceinline__ void WriteBlockPartials(const double* sh_sum, const long long* sh_failed,
                                                   int entries, double* partials,
                                                   long long* block_failed) {
  WriteBlockPartials(sh_sum, sh_failed, entries, partials, static_cast<int>(gridDim.x),
                     static_cast<int>(blockIdx.x), block_failed);
}

}  // namespace lmm::kernels
