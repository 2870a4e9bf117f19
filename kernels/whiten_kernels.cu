// Batched whitening of the residual structure's clusters and the fixed-order reduction of
// [X~ y~]'[X~ y~] (contract: whiten_kernels.h; mathematics: whiten_math.h).
#include <cuda_runtime.h>

#include "kernel_util.cuh"
#include "whiten_kernels.h"

namespace lmm::kernels {
namespace {

// Shared memory: kClusterWarps x PackedSize(w) running sums, one row per warp, written by lane 0
// only. Q > 0: q known at compile time; Q == 0: any q up to kMaxClusterQ. W: the most columns of [X
// y] (sizes the per-thread arrays, which live in local memory).
template <int Q, int W>
__global__ void __launch_bounds__(kClusterThreads)
    WhitenPassKernel(WhitenView v, int rounds, double* __restrict__ d_d,
                     double* __restrict__ d_panel, double* __restrict__ d_partials) {
  constexpr int kQ = Q > 0 ? Q : kMaxClusterQ;
  extern __shared__ double sh_sum[];
  if (Q > 0) v.q = Q;
  const int q = v.q, w = v.w;
  const int entries = PackedSize(w);
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  for (int e = threadIdx.x; e < kClusterWarps * entries; e += blockDim.x) sh_sum[e] = 0.0;
  __syncthreads();
  double* my_sum = sh_sum + warp * entries;
  for (int r = 0; r < rounds; ++r) {
    const int64_t c = ClusterOfThread(r, blockIdx.x, threadIdx.x, gridDim.x);
    double d[kQ * (kQ + 1) / 2], panel[W * kQ];
    double a[W * (W + 1) / 2];
    const bool active = c < v.clusters;
    if (active) {
      WhitenCluster(v, c, d, panel, a);
      StoreCluster(v.clusters, q, w, c, d, panel, d_d, d_panel);
    }
    // Every lane runs every entry (the shuffles need the whole warp).
    for (int e = 0; e < entries; ++e) {
      const double x = WarpSum(active ? a[e] : 0.0);
      if (lane == 0) my_sum[e] += x;
    }
  }
  __syncthreads();
  for (int e = threadIdx.x; e < entries; e += blockDim.x)
    d_partials[static_cast<int64_t>(e) * gridDim.x + blockIdx.x] = WarpRowsSum(sh_sum, entries, e);
}

// Block e sums entry e over the blocks' partials (strided loads, then a fixed tree).
__global__ void __launch_bounds__(kReduceThreads)
    ReduceWhitenPartialsKernel(const double* __restrict__ d_partials, int blocks,
                               double* __restrict__ d_result) {
  const int e = blockIdx.x;
  const double s = BlockSum(d_partials + static_cast<int64_t>(e) * blocks, blocks);
  if (threadIdx.x == 0) d_result[e] = s;
}

constexpr int kSmallW = 8;

template <int W>
void LaunchWhitenKernel(const WhitenPassArgs& a, const ClusterPassShape& shape, size_t shared,
                        cudaStream_t stream) {
  const dim3 grid(shape.blocks), block(kClusterThreads);
  switch (a.view.q) {
    case 1:
      WhitenPassKernel<1, W>
          <<<grid, block, shared, stream>>>(a.view, shape.rounds, a.d_d, a.d_panel, a.d_partials);
      break;
    case 2:
      WhitenPassKernel<2, W>
          <<<grid, block, shared, stream>>>(a.view, shape.rounds, a.d_d, a.d_panel, a.d_partials);
      break;
    default:
      WhitenPassKernel<0, W>
          <<<grid, block, shared, stream>>>(a.view, shape.rounds, a.d_d, a.d_panel, a.d_partials);
      break;
  }
}

}  // namespace

cudaError_t LaunchWhitenPass(const WhitenPassArgs& a, cudaStream_t stream, bool sync_each_launch) {
  const ClusterPassShape shape = ShapeClusterPass(a.view.clusters);
  const int entries = PackedSize(a.view.w);
  if (shape.blocks == 0) {
    const cudaError_t cleared =
        cudaMemsetAsync(a.d_result, 0, sizeof(double) * static_cast<size_t>(entries), stream);
    return cleared != cudaSuccess ? cleared : Checked(stream, sync_each_launch);
  }
  const size_t shared = sizeof(double) * kClusterWarps * entries;
  if (a.view.w <= kSmallW)
    LaunchWhitenKernel<kSmallW>(a, shape, shared, stream);
  else
    LaunchWhitenKernel<kMaxClusterW>(a, shape, shared, stream);
  const cudaError_t status = Checked(stream, sync_each_launch);
  if (status != cudaSuccess) return status;
  ReduceWhitenPartialsKernel<<<entries, kReduceThreads, 0, stream>>>(a.d_partials, shape.blocks,
                                                                     a.d_result);
  return Checked(stream, sync_each_launch);
}

}  // namespace lmm::kernels
