// Batched many-response cluster pass and its deterministic reduction (contract:
// response_kernels.h; mathematics: response_math.h, cluster_math.h). The block structure and the
// summation order are those of cluster_kernels.cu, once per evaluation (blockIdx.y).
#include <cuda_runtime.h>

#include "cluster_block.cuh"
#include "kernel_util.cuh"
#include "response_kernels.h"

namespace lmm::kernels {
namespace {

// Q > 0: q known at compile time; Q == 0: any q up to kMaxClusterQ.
template <int Q>
__global__ void __launch_bounds__(kClusterThreads)
    ResponsePassKernel(ClusterView design, ResponseView responses, int rounds,
                       const int* __restrict__ d_slots, const double* __restrict__ d_lambdas,
                       double* __restrict__ d_partials, long long* __restrict__ d_block_failed) {
  constexpr int kQ = Q > 0 ? Q : kMaxClusterQ;
  extern __shared__ double sh_sum[];
  __shared__ long long sh_failed[kClusterThreads];
  const int q = Q > 0 ? Q : design.q;
  const int w = design.w;
  const int entries = ReducedEntries(w);
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int i = blockIdx.y;
  const int slot = d_slots[i];
  const int64_t count = design.stride;
  for (int e = threadIdx.x; e < kClusterWarps * entries; e += blockDim.x) sh_sum[e] = 0.0;
  double lambda[kQ * kQ];
  for (int e = 0; e < q * q; ++e) lambda[e] = d_lambdas[static_cast<int64_t>(i) * q * q + e];
  __syncthreads();

  long long failed = -1;
  double* my_sum = sh_sum + warp * entries;
  for (int r = 0; r < rounds; ++r) {
    const int64_t c = ClusterOfThread(r, blockIdx.x, threadIdx.x, gridDim.x);
    double d[kQ * kQ], l[kQ * kQ], panel[kMaxClusterW * kQ];
    double logdet = 0.0;
    bool ok = false;
    if (c < count) {
      LoadResponseCluster(design, responses, slot, c, d, panel);
      ok = EliminateCluster(q, w, lambda, d, l, panel, &logdet);
      if (!ok && failed < 0) failed = c;
    }
    AddToWarpSums(ok, q, w, panel, logdet, lane, my_sum);
  }
  sh_failed[threadIdx.x] = failed;
  __syncthreads();
  // Evaluation i's partials: rows [i entries, (i + 1) entries) of gridDim.x blocks each.
  WriteBlockPartials(sh_sum, sh_failed, entries,
                     d_partials + static_cast<int64_t>(i) * entries * gridDim.x,
                     d_block_failed + static_cast<int64_t>(i) * gridDim.x + blockIdx.x);
}

// Block (e, i), e < entries, sums entry e of evaluation i over the blocks' partials; block
// (entries, i) takes evaluation i's minimum failing cluster.
__global__ void __launch_bounds__(kReduceThreads)
    ReduceResponsePartialsKernel(const double* __restrict__ d_partials, int blocks, int entries,
                                 const long long* __restrict__ d_block_failed,
                                 double* __restrict__ d_results, long long* __restrict__ d_failed) {
  const int e = blockIdx.x;
  const int i = blockIdx.y;
  if (e < entries) {
    const double s =
        BlockSum(d_partials + (static_cast<int64_t>(i) * entries + e) * blocks, blocks);
    if (threadIdx.x == 0) d_results[static_cast<int64_t>(i) * entries + e] = s;
    return;
  }
  const long long first =
      BlockFirstFailed(d_block_failed + static_cast<int64_t>(i) * blocks, blocks);
  if (threadIdx.x == 0) d_failed[i] = first;
}

}  // namespace

cudaError_t LaunchResponsePass(const ResponsePassArgs& a, cudaStream_t stream,
                               bool sync_each_launch) {
  if (a.evaluations <= 0) return cudaSuccess;
  const ClusterPassShape shape = ShapeClusterPass(a.design.stride);
  const int entries = ReducedEntries(a.design.w);
  if (shape.blocks > 0) {
    const size_t shared = sizeof(double) * kClusterWarps * entries;
    const dim3 grid(shape.blocks, a.evaluations), block(kClusterThreads);
    switch (a.design.q) {
      case 1:
        ResponsePassKernel<1><<<grid, block, shared, stream>>>(a.design, a.responses, shape.rounds,
                                                               a.d_slots, a.d_lambdas, a.d_partials,
                                                               a.d_block_failed);
        break;
      case 2:
        ResponsePassKernel<2><<<grid, block, shared, stream>>>(a.design, a.responses, shape.rounds,
                                                               a.d_slots, a.d_lambdas, a.d_partials,
                                                               a.d_block_failed);
        break;
      case 3:
        ResponsePassKernel<3><<<grid, block, shared, stream>>>(a.design, a.responses, shape.rounds,
                                                               a.d_slots, a.d_lambdas, a.d_partials,
                                                               a.d_block_failed);
        break;
      default:
        ResponsePassKernel<0><<<grid, block, shared, stream>>>(a.design, a.responses, shape.rounds,
                                                               a.d_slots, a.d_lambdas, a.d_partials,
                                                               a.d_block_failed);
        break;
    }
    const cudaError_t status = Checked(stream, sync_each_launch);
    if (status != cudaSuccess) return status;
  }
  const dim3 grid(entries + 1, a.evaluations);
  ReduceResponsePartialsKernel<<<grid, kReduceThreads, 0, stream>>>(
      a.d_partials, shape.blocks, entries, a.d_block_failed, a.d_results, a.d_failed);
  return Checked(stream, sync_each_launch);
}

}  // namespace lmm::kernels
