// Batched small-sample variance pieces and their deterministic reductions (contract:
// variance_kernels.h; mathematics: variance_math.h).
#include <cuda_runtime.h>

#include "kernel_util.cuh"
#include "variance_kernels.h"

namespace lmm::kernels {
namespace {

constexpr int kFactorThreads = 128;
constexpr int kSumThreads = 256;

__global__ void __launch_bounds__(kFactorThreads)
    VarianceFactorKernel(VarianceClusterView v, const double* __restrict__ d_rows,
                         const int64_t* __restrict__ d_row_start,
                         const double* __restrict__ d_lambda,
                         const double* __restrict__ d_patterns) {
  double lambda[kMaxClusterQ * kMaxClusterQ];
  for (int e = 0; e < v.q * v.q; ++e) lambda[e] = d_lambda[e];
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < v.stride;
       c += step) {
    ClusterRowsFactor(v, c, d_rows, d_row_start[c], d_row_start[c + 1]);
    ClusterVarianceFactors(v, c, lambda, d_patterns);
  }
}

// sh[0] <- sum of sh[0 .. kSumThreads) in a fixed tree. All threads of the block call it.
__device__ inline double BlockTreeSum(double* sh, double x) {
  const int t = threadIdx.x;
  __syncthreads();  // earlier readers of sh are done
  sh[t] = x;
  __syncthreads();
  for (int half = kSumThreads / 2; half > 0; half >>= 1) {
    if (t < half) sh[t] += sh[t + half];
    __syncthreads();
  }
  return sh[0];
}

// Block (entry, chunk, split): entry = a + b w; pieces [chunk * kVarianceChunk, + kVarianceChunk);
// clusters [split * per, (split + 1) * per). Writes d_partial[(piece * w^2 + entry) * splits +
// split].
__global__ void __launch_bounds__(kSumThreads)
    VarianceEntryKernel(VarianceClusterView v, const double* __restrict__ d_patterns, int pieces,
                        int64_t per, double* __restrict__ d_partial) {
  __shared__ double sh[kSumThreads];
  const int w = v.w;
  const int entry = blockIdx.x;
  const int a = entry % w, b = entry / w;
  const int first = blockIdx.y * kVarianceChunk;
  const int count = min(kVarianceChunk, pieces - first);
  const int64_t c0 = static_cast<int64_t>(blockIdx.z) * per;
  const int64_t c1 = min(v.stride, c0 + per);
  double acc[kVarianceChunk], part[kVarianceChunk];
  for (int n = 0; n < kVarianceChunk; ++n) acc[n] = 0.0;
  for (int64_t c = c0 + threadIdx.x; c < c1; c += kSumThreads) {
    ClusterVarianceEntries(v, c, d_patterns, a, b, first, count, part);
    for (int n = 0; n < count; ++n) acc[n] += part[n];
  }
  for (int n = 0; n < count; ++n) {
    const double s = BlockTreeSum(sh, acc[n]);
    if (threadIdx.x == 0)
      d_partial[(static_cast<int64_t>(first + n) * w * w + entry) * gridDim.z + blockIdx.z] = s;
  }
}

// One thread per output: the splits' partials in order.
__global__ void __launch_bounds__(kSumThreads)
    VarianceSplitKernel(const double* __restrict__ d_partial, int outputs, int splits,
                        double* __restrict__ d_pieces) {
  const int o = blockIdx.x * blockDim.x + threadIdx.x;
  if (o >= outputs) return;
  double s = 0.0;
  for (int k = 0; k < splits; ++k) s += d_partial[static_cast<int64_t>(o) * splits + k];
  d_pieces[o] = s;
}

__global__ void __launch_bounds__(kSumThreads)
    VarianceScalarKernel(const double* __restrict__ d_scal, int64_t clusters,
                         double* __restrict__ d_scalars) {
  __shared__ double sh[kSumThreads];
  const int e = blockIdx.x;
  double s = 0.0;
  for (int64_t c = threadIdx.x; c < clusters; c += kSumThreads) s += d_scal[e * clusters + c];
  const double total = BlockTreeSum(sh, s);
  if (threadIdx.x == 0) d_scalars[e] = total;
}

}  // namespace

cudaError_t LaunchVariancePass(const VariancePassArgs& a, cudaStream_t stream,
                               bool sync_each_launch) {
  const VarianceClusterView& v = a.view;
  const int64_t clusters = v.stride;
  if (clusters > 0) {
    const int64_t needed = (clusters + kFactorThreads - 1) / kFactorThreads;
    const int blocks = static_cast<int>(needed < 65535 ? needed : 65535);
    VarianceFactorKernel<<<blocks, kFactorThreads, 0, stream>>>(v, a.d_rows, a.d_row_start,
                                                                a.d_lambda, a.d_patterns);
    const cudaError_t status = Checked(stream, sync_each_launch);
    if (status != cudaSuccess) return status;
  }
  const int pieces = VarianceMatrixPieces(v.nr);
  const int splits = VarianceSplits(clusters);
  const int64_t per = (clusters + splits - 1) / splits;
  const dim3 grid(static_cast<unsigned>(v.w * v.w),
                  static_cast<unsigned>((pieces + kVarianceChunk - 1) / kVarianceChunk),
                  static_cast<unsigned>(splits));
  VarianceEntryKernel<<<grid, kSumThreads, 0, stream>>>(v, a.d_patterns, pieces, per, a.d_partial);
  cudaError_t status = Checked(stream, sync_each_launch);
  if (status != cudaSuccess) return status;
  const int outputs = pieces * v.w * v.w;
  VarianceSplitKernel<<<(outputs + kSumThreads - 1) / kSumThreads, kSumThreads, 0, stream>>>(
      a.d_partial, outputs, splits, a.d_pieces);
  status = Checked(stream, sync_each_launch);
  if (status != cudaSuccess) return status;
  VarianceScalarKernel<<<VarianceScalars(v.nr), kSumThreads, 0, stream>>>(v.scal, clusters,
                                                                          a.d_scalars);
  return Checked(stream, sync_each_launch);
}

}  // namespace lmm::kernels
