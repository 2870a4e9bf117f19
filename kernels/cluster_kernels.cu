// Batched per-cluster elimination and its deterministic reduction (contract: cluster_kernels.h;
// mathematics: cluster_math.h).
#include <cuda_runtime.h>

#include "cluster_block.cuh"
#include "cluster_kernels.h"
#include "kernel_util.cuh"

namespace lmm::kernels {
namespace {

// Q > 0: q known at compile time (loops unroll, arrays stay in registers); Q == 0: any q up to
// kMaxClusterQ. Shared memory: kClusterWarps x entries running sums, one row per warp, each written
// by lane 0 of its warp only. CTA blockIdx.x is CTA c.j of cluster block c.index's own launch
// shape (CtaOfClusterBlocks); with one block that is the whole grid.
template <int Q>
__global__ void __launch_bounds__(kClusterThreads)
    ClusterPassKernel(ClusterView v, int64_t begin, int64_t count, int64_t block,
                      int ctas_per_block, const double* __restrict__ d_lambda,
                      double* __restrict__ d_partials, long long* __restrict__ d_block_failed) {
  const ClusterCta c = CtaOfClusterBlocks(blockIdx.x, count, block, ctas_per_block);
  if (c.j >= c.shape.blocks) return;  // a short last block needs fewer CTAs (the whole CTA leaves)
  begin += c.first;
  count = c.count;
  const int rounds = c.shape.rounds;
  constexpr int kQ = Q > 0 ? Q : kMaxClusterQ;
  extern __shared__ double sh_sum[];
  __shared__ long long sh_failed[kClusterThreads];
  const int q = Q > 0 ? Q : v.q;
  const int w = v.w;
  const int entries = ReducedEntries(w);
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  for (int e = threadIdx.x; e < kClusterWarps * entries; e += blockDim.x) sh_sum[e] = 0.0;
  double lambda[kQ * kQ];
  for (int e = 0; e < q * q; ++e) lambda[e] = d_lambda[e];
  __syncthreads();

  long long failed = -1;
  double* my_sum = sh_sum + warp * entries;
  for (int r = 0; r < rounds; ++r) {
    const int64_t k = ClusterOfThread(r, c.j, threadIdx.x, c.shape.blocks);
    double d[kQ * kQ], l[kQ * kQ], panel[kMaxClusterW * kQ];
    double logdet = 0.0;
    bool ok = false;
    if (k < count) {
      LoadCluster(v, begin + k, d, panel);
      ok = EliminateCluster(q, w, lambda, d, l, panel, &logdet);
      if (!ok && failed < 0) failed = begin + k;
    }
    AddToWarpSums(ok, q, w, panel, logdet, lane, my_sum);
  }
  sh_failed[threadIdx.x] = failed;
  __syncthreads();
  const int64_t cta = static_cast<int64_t>(c.index) * ctas_per_block;
  WriteBlockPartials(sh_sum, sh_failed, entries, d_partials + cta * entries, c.shape.blocks, c.j,
                     d_block_failed + cta + c.j);
}

// Block (b, e) = blockIdx.x, b = blockIdx.x / (entries + 1): for e < entries, entry e of cluster
// block b summed over its CTAs' partials (strided loads, then a fixed tree); for e == entries,
// block b's minimum failing cluster (order-free).
__global__ void __launch_bounds__(kReduceThreads)
    ReducePartialsKernel(const double* __restrict__ d_partials, int64_t count, int64_t block,
                         int ctas_per_block, int entries,
                         const long long* __restrict__ d_block_failed,
                         double* __restrict__ d_result, long long* __restrict__ d_failed) {
  const int64_t b = blockIdx.x / (entries + 1);
  const int e = static_cast<int>(blockIdx.x % (entries + 1));
  // CTA 0 of cluster block b: its launch shape, and where its partials start.
  const ClusterCta c = CtaOfClusterBlocks(b * ctas_per_block, count, block, ctas_per_block);
  const int64_t cta = b * ctas_per_block;
  const int blocks = c.shape.blocks;
  if (e < entries) {
    const double s =
        BlockSum(d_partials + (cta * entries + static_cast<int64_t>(e) * blocks), blocks);
    if (threadIdx.x == 0) d_result[b * entries + e] = s;
    return;
  }
  const long long first = BlockFirstFailed(d_block_failed + cta, blocks);
  if (threadIdx.x == 0) d_failed[b] = first;
}

}  // namespace

cudaError_t LaunchClusterPass(const ClusterPassArgs& a, cudaStream_t stream,
                              bool sync_each_launch) {
  const ClusterBlocksShape shape = ShapeClusterBlocks(a.count, a.block);
  const int entries = ReducedEntries(a.view.w);
  if (shape.reductions == 0) return cudaSuccess;
  constexpr int64_t kMaxGrid = (int64_t{1} << 31) - 1;
  if (shape.ctas() > kMaxGrid || shape.reductions * (entries + 1) > kMaxGrid)
    return cudaErrorInvalidConfiguration;
  if (shape.ctas() > 0) {
    const size_t shared = sizeof(double) * kClusterWarps * entries;
    const dim3 grid(static_cast<unsigned>(shape.ctas())), block(kClusterThreads);
    const int per = shape.ctas_per_block;
    switch (a.view.q) {
      case 1:
        ClusterPassKernel<1><<<grid, block, shared, stream>>>(
            a.view, a.begin, a.count, shape.block, per, a.d_lambda, a.d_partials, a.d_block_failed);
        break;
      case 2:
        ClusterPassKernel<2><<<grid, block, shared, stream>>>(
            a.view, a.begin, a.count, shape.block, per, a.d_lambda, a.d_partials, a.d_block_failed);
        break;
      case 3:
        ClusterPassKernel<3><<<grid, block, shared, stream>>>(
            a.view, a.begin, a.count, shape.block, per, a.d_lambda, a.d_partials, a.d_block_failed);
        break;
      default:
        ClusterPassKernel<0><<<grid, block, shared, stream>>>(
            a.view, a.begin, a.count, shape.block, per, a.d_lambda, a.d_partials, a.d_block_failed);
        break;
    }
    const cudaError_t status = Checked(stream, sync_each_launch);
    if (status != cudaSuccess) return status;
  }
  // ctas_per_block is 0 only for one block of no clusters (nothing to divide by below then).
  const int per = shape.ctas_per_block > 0 ? shape.ctas_per_block : 1;
  ReducePartialsKernel<<<static_cast<unsigned>(shape.reductions * (entries + 1)), kReduceThreads, 0,
                         stream>>>(a.d_partials, a.count, shape.block, per, entries,
                                   a.d_block_failed, a.d_result, a.d_failed);
  return Checked(stream, sync_each_launch);
}

}  // namespace lmm::kernels
