// Multi-term kernels (contract: level_kernels.h; mathematics: level_math.h).
#include <cuda_runtime.h>

#include "kernel_util.cuh"
#include "level_kernels.h"

namespace lmm::kernels {
namespace {

constexpr int kLevelThreads = 128;
constexpr int kLevelMaxBlocks = 4096;
constexpr int kColumnThreads = 128;
constexpr int kMaxColumnBlocks = 65535;
constexpr int kLogdetThreads = 256;
constexpr int kEntryTile = 16;  // FormRest: 16 x 16 threads per block

__global__ void __launch_bounds__(kLevelThreads)
    EliminateLevelsKernel(LevelView v, RestLambdas r, const double* __restrict__ d_lambda0,
                          double* d_panels, double* __restrict__ d_level_logdet,
                          unsigned char* __restrict__ d_level_ok) {
  double lambda0[kMaxClusterQ * kMaxClusterQ];
  for (int e = 0; e < v.q0 * v.q0; ++e) lambda0[e] = d_lambda0[e];
  double l[kMaxClusterQ * kMaxClusterQ];
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < v.levels;
       c += stride) {
    double logdet = 0;
    const bool ok = EliminateLevel(v, r, lambda0, c, l, d_panels, &logdet);
    d_level_logdet[c] = ok ? logdet : 0.0;
    d_level_ok[c] = ok ? 1 : 0;
  }
}

__global__ void FormRestKernel(RestRows rows, RestLambdas r, const double* __restrict__ d_a,
                               double* __restrict__ d_s) {
  const int64_t m = rows.m;
  for (int64_t j = static_cast<int64_t>(blockIdx.y) * blockDim.y + threadIdx.y; j < m;
       j += static_cast<int64_t>(gridDim.y) * blockDim.y)
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < m;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x)
      d_s[i + j * m] = i >= j ? ScaledRestEntry(rows, r, d_a, m, i, j) : 0.0;
}

// Columns j < mt (the term columns, all their rows). The loop over columns is uniform across the
// block, so the barrier is reached by every thread.
__global__ void __launch_bounds__(kColumnThreads)
    DowndateColumnsKernel(LevelView v, ColumnItems items, int64_t m, int64_t mt,
                          const double* __restrict__ d_panels, double* __restrict__ d_s) {
  for (int64_t j = blockIdx.x; j < mt; j += gridDim.x) {
    double* col = d_s + j * m;
    for (int64_t k = items.off[j]; k < items.off[j + 1]; ++k) {
      DowndateItem(v, d_panels, items.level[k], items.row[k], threadIdx.x, blockDim.x, col);
      __syncthreads();
    }
  }
}

// The [X y] block (columns j >= mt): block e takes packed entry e = PackedIndex(r, s) of the
// w x w block and sums TrailingProduct over levels (thread t: levels t, t + 256, ...; then a fixed
// tree), so every level's term is summed in the same order on every run.
__global__ void __launch_bounds__(kLogdetThreads)
    TrailingDowndateKernel(LevelView v, const double* __restrict__ d_panels, int w, int64_t m,
                           double* __restrict__ d_s) {
  __shared__ double sh[kLogdetThreads];
  const int e = blockIdx.x;
  int r = 0;
  while (PackedIndex(r + 1, 0) <= e) ++r;
  const int s = e - PackedIndex(r, 0);
  const int t = threadIdx.x;
  double acc = 0.0;
  for (int64_t c = t; c < v.levels; c += kLogdetThreads)
    acc += TrailingProduct(v, d_panels, c, w, r, s);
  sh[t] = acc;
  __syncthreads();
  for (int half = kLogdetThreads / 2; half > 0; half >>= 1) {
    if (t < half) sh[t] += sh[t + half];
    __syncthreads();
  }
  if (t == 0) {
    const int64_t mt = m - w;
    d_s[(mt + r) + (mt + s) * m] -= sh[0];
  }
}

__global__ void __launch_bounds__(kLogdetThreads) LevelLogdetKernel(LevelLogdetArgs a) {
  __shared__ double sh[kLogdetThreads];
  __shared__ long long sh_failed[kLogdetThreads];
  const int t = threadIdx.x;
  double s = 0.0;
  long long failed = -1;
  for (int64_t c = t; c < a.levels; c += kLogdetThreads) {
    if (a.d_level_ok[c]) {
      s += a.d_level_logdet[c];
    } else if (failed < 0) {
      failed = c;  // ascending c: the thread's first failure is its smallest
    }
  }
  for (int64_t i = t; i < a.mt; i += kLogdetThreads) s += 2.0 * log(a.d_factor[i + i * a.m]);
  sh[t] = s;
  sh_failed[t] = failed;
  __syncthreads();
  for (int half = kLogdetThreads / 2; half > 0; half >>= 1) {
    if (t < half) {
      sh[t] += sh[t + half];
      const long long f = sh_failed[t + half];
      if (f >= 0 && (sh_failed[t] < 0 || f < sh_failed[t])) sh_failed[t] = f;
    }
    __syncthreads();
  }
  if (t == 0) {
    a.d_logdet[0] = sh[0];
    a.d_failed[0] = sh_failed[0];
  }
}

int Blocks(int64_t work, int threads, int max_blocks) {
  const int64_t b = (work + threads - 1) / threads;
  return static_cast<int>(b < 1 ? 1 : (b < max_blocks ? b : max_blocks));
}

}  // namespace

cudaError_t LaunchLevelPass(const LevelPassArgs& a, cudaStream_t stream, bool sync_each_launch) {
  if (a.levels.levels > 0) {
    EliminateLevelsKernel<<<Blocks(a.levels.levels, kLevelThreads, kLevelMaxBlocks), kLevelThreads,
                            0, stream>>>(a.levels, a.rest, a.d_lambda0, a.d_panels,
                                         a.d_level_logdet, a.d_level_ok);
    const cudaError_t status = Checked(stream, sync_each_launch);
    if (status != cudaSuccess) return status;
  }
  const int64_t m = a.rows.m;
  if (m == 0) return cudaSuccess;
  const dim3 block(kEntryTile, kEntryTile);
  const dim3 grid(Blocks(m, kEntryTile, kMaxColumnBlocks), Blocks(m, kEntryTile, kMaxColumnBlocks));
  FormRestKernel<<<grid, block, 0, stream>>>(a.rows, a.rest, a.d_a, a.d_s);
  cudaError_t status = Checked(stream, sync_each_launch);
  if (status != cudaSuccess) return status;
  const int64_t mt = a.rows.mt;
  if (mt > 0) {
    DowndateColumnsKernel<<<Blocks(mt, 1, kMaxColumnBlocks), kColumnThreads, 0, stream>>>(
        a.levels, a.items, m, mt, a.d_panels, a.d_s);
    status = Checked(stream, sync_each_launch);
    if (status != cudaSuccess) return status;
  }
  const int w = static_cast<int>(m - mt);
  TrailingDowndateKernel<<<PackedSize(w), kLogdetThreads, 0, stream>>>(a.levels, a.d_panels, w, m,
                                                                       a.d_s);
  return Checked(stream, sync_each_launch);
}

cudaError_t LaunchLevelLogdet(const LevelLogdetArgs& a, cudaStream_t stream,
                              bool sync_each_launch) {
  LevelLogdetKernel<<<1, kLogdetThreads, 0, stream>>>(a);
  return Checked(stream, sync_each_launch);
}

}  // namespace lmm::kernels
