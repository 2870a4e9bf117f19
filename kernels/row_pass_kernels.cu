// The device one-time pass, one chunk at a time (contract: row_pass_kernels.h; mathematics:
// row_pass_math.h).
#include <cuda_runtime.h>

#include <cub/device/device_radix_sort.cuh>

#include "kernel_util.cuh"
#include "row_pass_kernels.h"

namespace lmm::kernels {
namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads)
    GatherKernel(const double* __restrict__ raw, int64_t ld, int64_t len, int q, int w,
                 const double* __restrict__ shift, const int32_t* __restrict__ perm,
                 double* __restrict__ sorted) {
  const int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= len) return;
  GatherCenteredRow(raw, ld, perm[r], q, w, shift, sorted, ld, r);
}

// Short runs: the thread of the run's first row adds the whole run (all entries).
__global__ void __launch_bounds__(kThreads) SegmentKernel(GroupedChunk g, ClusterSums sums) {
  const int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= g.len || !StartsSegment(g, r) || IsLongRun(g, r)) return;
  AccumulateSegment(g, r, SegmentEnd(g, r), sums);
}

// Long runs: warp k looks for a long run starting in sorted rows [k kLongRun, (k + 1) kLongRun)
// (at most one does), finds its end 32 rows at a time, and its lanes take the entries.
__global__ void __launch_bounds__(kThreads) LongSegmentKernel(GroupedChunk g, ClusterSums sums) {
  const int64_t warp = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x & 31;
  const int64_t window = warp * kLongRun;
  if (window >= g.len) return;  // whole warps return together (blockDim is a multiple of 32)
  int64_t begin = -1;
  for (int k = 0; k < kLongRun; k += 32) {
    const int64_t r = window + k + lane;
    const bool head = r < g.len && StartsSegment(g, r) && IsLongRun(g, r);
    const unsigned found = __ballot_sync(0xffffffffu, head);
    if (found != 0) {
      begin = window + k + (__ffs(found) - 1);
      break;
    }
  }
  if (begin < 0) return;
  const uint32_t c = g.key[begin];
  int64_t end = begin + kLongRun;  // rows [begin, begin + kLongRun) are known to be in the run
  for (;;) {
    const int64_t r = end + lane;
    const unsigned other = __ballot_sync(0xffffffffu, r >= g.len || g.key[r] != c);
    if (other != 0) {
      end += __ffs(other) - 1;
      break;
    }
    end += 32;
  }
  const int entries = ClusterEntries(sums.q, sums.w);
  for (int e = lane; e < entries; e += 32) AccumulateSegmentEntry(g, begin, end, sums, e);
}

// Block b: double-double sums over its row range of every packed entry of [x~ y~]'[x~ y~], rows
// staged kXxTileRows at a time in shared memory; thread t owns entries t, t + kXxThreads, ...
__global__ void __launch_bounds__(kXxThreads)
    XxPartialsKernel(const double* __restrict__ raw, int64_t ld, int64_t len, int q, int w,
                     const double* __restrict__ shift, int64_t rows_per_block,
                     double* __restrict__ partials) {
  __shared__ double tile[kMaxClusterW * kXxTileRows];
  const int entries = PackedSize(w);
  double hi[kXxEntriesPerThread], lo[kXxEntriesPerThread];
  int ei[kXxEntriesPerThread], ej[kXxEntriesPerThread];
  for (int k = 0; k < kXxEntriesPerThread; ++k) {
    hi[k] = lo[k] = 0.0;
    const int e = threadIdx.x + k * kXxThreads;
    ei[k] = ej[k] = 0;
    if (e < entries) UnpackIndex(e, &ei[k], &ej[k]);
  }
  const int64_t begin = blockIdx.x * rows_per_block;
  const int64_t end = begin + rows_per_block < len ? begin + rows_per_block : len;
  for (int64_t t0 = begin; t0 < end; t0 += kXxTileRows) {
    const int rows = static_cast<int>(end - t0 < kXxTileRows ? end - t0 : kXxTileRows);
    __syncthreads();
    for (int k = threadIdx.x; k < w * kXxTileRows; k += kXxThreads) {
      const int j = k / kXxTileRows, r = k % kXxTileRows;
      if (r < rows) tile[k] = SubRn(raw[(q + j) * ld + t0 + r], shift[j]);
    }
    __syncthreads();
    for (int k = 0; k < kXxEntriesPerThread; ++k) {
      if (threadIdx.x + k * kXxThreads >= entries) break;
      const double* vi = tile + ei[k] * kXxTileRows;
      const double* vj = tile + ej[k] * kXxTileRows;
      for (int r = 0; r < rows; ++r) DdAddProduct(hi[k], lo[k], vi[r], vj[r]);
    }
  }
  for (int k = 0; k < kXxEntriesPerThread; ++k) {
    const int e = threadIdx.x + k * kXxThreads;
    if (e >= entries) break;
    partials[(static_cast<int64_t>(e) * kXxMaxBlocks + blockIdx.x) * 2] = hi[k];
    partials[(static_cast<int64_t>(e) * kXxMaxBlocks + blockIdx.x) * 2 + 1] = lo[k];
  }
}

// Thread e: total[e] += the blocks' partials of entry e, in block order.
__global__ void XxReduceKernel(const double* __restrict__ partials, int blocks, int entries,
                               double* __restrict__ total) {
  const int e = blockIdx.x * blockDim.x + threadIdx.x;
  if (e >= entries) return;
  double hi = total[2 * e], lo = total[2 * e + 1];
  for (int b = 0; b < blocks; ++b) {
    const double* p = partials + (static_cast<int64_t>(e) * kXxMaxBlocks + b) * 2;
    DdAdd(hi, lo, p[0], p[1]);
  }
  total[2 * e] = hi;
  total[2 * e + 1] = lo;
}

}  // namespace

cudaError_t RowPassSortTempBytes(int64_t len, int key_bits, size_t* bytes) {
  *bytes = 0;
  return cub::DeviceRadixSort::SortPairs(
      nullptr, *bytes, static_cast<const uint32_t*>(nullptr), static_cast<uint32_t*>(nullptr),
      static_cast<const int32_t*>(nullptr), static_cast<int32_t*>(nullptr), len, 0, key_bits);
}

cudaError_t LaunchRowPassChunk(const RowPassChunkArgs& a, cudaStream_t stream,
                               bool sync_each_launch) {
  if (a.len <= 0) return cudaSuccess;
  size_t temp_bytes = 0;
  cudaError_t status = RowPassSortTempBytes(a.len, a.key_bits, &temp_bytes);
  if (status != cudaSuccess) return status;
  if (temp_bytes > a.sort_temp_bytes || a.d_sort_temp == nullptr) return cudaErrorInvalidValue;
  temp_bytes = a.sort_temp_bytes;
  status = cub::DeviceRadixSort::SortPairs(a.d_sort_temp, temp_bytes, a.d_level, a.d_keys, a.d_iota,
                                           a.d_perm, a.len, 0, a.key_bits, stream);
  if (status != cudaSuccess) return status;
  status = Checked(stream, sync_each_launch);
  if (status != cudaSuccess) return status;

  const unsigned row_blocks = static_cast<unsigned>((a.len + kThreads - 1) / kThreads);
  GatherKernel<<<row_blocks, kThreads, 0, stream>>>(a.d_raw, a.ld, a.len, a.q, a.w, a.d_shift,
                                                    a.d_perm, a.d_sorted);
  status = Checked(stream, sync_each_launch);
  if (status != cudaSuccess) return status;

  GroupedChunk g;
  g.len = a.len;
  g.ld = a.ld;
  g.cols = a.d_sorted;
  g.key = a.d_keys;
  SegmentKernel<<<row_blocks, kThreads, 0, stream>>>(g, a.sums);
  status = Checked(stream, sync_each_launch);
  if (status != cudaSuccess) return status;
  const int64_t windows = (a.len + kLongRun - 1) / kLongRun;
  const unsigned window_blocks = static_cast<unsigned>((windows * 32 + kThreads - 1) / kThreads);
  LongSegmentKernel<<<window_blocks, kThreads, 0, stream>>>(g, a.sums);
  status = Checked(stream, sync_each_launch);
  if (status != cudaSuccess) return status;

  const XxPassShape shape = ShapeXxPass(a.len);
  XxPartialsKernel<<<shape.blocks, kXxThreads, 0, stream>>>(
      a.d_raw, a.ld, a.len, a.q, a.w, a.d_shift, shape.rows_per_block, a.d_xx_partials);
  status = Checked(stream, sync_each_launch);
  if (status != cudaSuccess) return status;
  const int entries = PackedSize(a.w);
  XxReduceKernel<<<(entries + 127) / 128, 128, 0, stream>>>(a.d_xx_partials, shape.blocks, entries,
                                                            a.d_xx_total);
  return Checked(stream, sync_each_launch);
}

}  // namespace lmm::kernels
