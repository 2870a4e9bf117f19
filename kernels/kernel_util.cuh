// Device-side pieces shared by the kernels of kernels/*.cu (CUDA sources only): the launch check
// and the fixed-order sums of the reductions. No atomics: every sum below adds in an order that
// depends only on the launch shape, so a result is the same bits run to run and device to device.
#pragma once

#include <cuda_runtime.h>

#include "cluster_shape.h"

namespace lmm::kernels {

// Threads per block of the one-block-per-entry reductions (a power of two).
inline constexpr int kReduceThreads = 256;
// Warps per block of the cluster passes (kClusterThreads threads).
inline constexpr int kClusterWarps = kClusterThreads / 32;

// The error of the last launch (cudaGetLastError); with `sync_each_launch` and no launch error,
// the stream's execution error after synchronizing it (debugging).
inline cudaError_t Checked(cudaStream_t stream, bool sync_each_launch) {
  const cudaError_t launch = cudaGetLastError();
  if (launch != cudaSuccess || !sync_each_launch) return launch;
  return cudaStreamSynchronize(stream);
}

// The smaller of two failing indices, -1 meaning none (order-free).
__device__ inline long long FirstFailed(long long a, long long b) {
  return b >= 0 && (a < 0 || b < a) ? b : a;
}

// Sum over the 32 lanes in a fixed tree; lane 0 holds the result. Every lane must call it.
__device__ inline double WarpSum(double x) {
  for (int offset = 16; offset > 0; offset >>= 1) x += __shfl_down_sync(0xffffffffu, x, offset);
  return x;
}

// Entry e of a cluster pass block's shared running sums (kClusterWarps rows of `entries`, one
// per warp), added in warp order.
__device__ inline double WarpRowsSum(const double* sh_sum, int entries, int e) {
  double s = 0.0;
  for (int k = 0; k < kClusterWarps; ++k) s += sh_sum[k * entries + e];
  return s;
}

// p[0] + ... + p[count - 1] by a block of kReduceThreads threads: thread t adds p[t],
// p[t + kReduceThreads], ... in order, then a fixed tree over the threads. Every thread of the
// block must call it, once per kernel (the shared array is reused); every thread gets the sum.
__device__ inline double BlockSum(const double* __restrict__ p, int count) {
  __shared__ double sh[kReduceThreads];
  const int t = threadIdx.x;
  double s = 0.0;
  for (int b = t; b < count; b += kReduceThreads) s += p[b];
  sh[t] = s;
  __syncthreads();
  for (int half = kReduceThreads / 2; half > 0; half >>= 1) {
    if (t < half) sh[t] += sh[t + half];
    __syncthreads();
  }
  return sh[0];
}

// The smallest failing index among f[0], ..., f[count - 1] (-1: none), by a block of
// kReduceThreads threads. Every thread of the block must call it, once per kernel; every thread
// gets the result.
__device__ inline long long BlockFirstFailed(const long long* __restrict__ f, int count) {
  __shared__ long long sh[kReduceThreads];
  const int t = threadIdx.x;
  long long first = -1;
  for (int b = t; b < count; b += kReduceThreads) first = FirstFailed(first, f[b]);
  sh[t] = first;
  __syncthreads();
  for (int half = kReduceThreads / 2; half > 0; half >>= 1) {
    if (t < half) sh[t] = FirstFailed(sh[t], sh[t + half]);
    __syncthreads();
  }
  return sh[0];
}

}  // namespace lmm::kernels
