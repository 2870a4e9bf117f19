// Launchers of the device one-time pass (kernels/row_pass_kernels.cu; mathematics:
// row_pass_math.h). Plain C++: callable from host code compiled by g++ (src/likelihood/gpu/).
//
// One chunk of rows (in any order of clusters) is four steps on `stream`, all reading the chunk's
// raw columns and writing the resident sums:
//  1. stable radix sort of the chunk's cluster keys with the row indices 0..len-1 as values
//     (CUB DeviceRadixSort: stable, so within a cluster the rows keep their order);
//  2. gather: the sorted rows' columns, X and y centered (GatherCenteredRow);
//  3. one thread per sorted row; the thread that starts a cluster's run adds the run to the
//     cluster's D_c and G_c (AccumulateSegment); runs of kLongRun rows or more are taken by one
//     warp instead, its lanes over the entries (AccumulateSegmentEntry). Each cluster is written
//     by one thread or one warp per chunk, each entry by one thread, in row order: no atomics;
//  4. [X y]'[X y]: per-block double-double partials over fixed row ranges (ShapeXxPass), then one
//     thread per entry adds the partials in block order to the running double-double total.
// Chunks launched in order on one stream give every sum in row order: the result depends on the
// data and the chunk size only.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "row_pass_math.h"

namespace lmm::kernels {

// Device pointers of one chunk and the resident state.
struct RowPassChunkArgs {
  int64_t len = 0;                    // rows in this chunk (0: nothing is launched)
  int64_t ld = 0;                     // leading dimension of d_raw and d_sorted (>= len)
  int q = 0, w = 0;                   // w = p + 1
  const double* d_raw = nullptr;      // q + w columns: z, x, y (raw), column k at [k * ld + r]
  const uint32_t* d_level = nullptr;  // len cluster indices (< sums.stride)
  const double* d_shift = nullptr;    // w: x_shift, y_shift
  // Scratch for at least `len` rows.
  const int32_t* d_iota = nullptr;  // 0, 1, ..., len - 1
  uint32_t* d_keys = nullptr;       // len
  int32_t* d_perm = nullptr;        // len
  double* d_sorted = nullptr;       // (q + w) x ld
  void* d_sort_temp = nullptr;      // CUB's scratch (RowPassSortTempBytes)
  size_t sort_temp_bytes = 0;
  int key_bits = 32;  // bits of the largest cluster index (the radix sort's end bit)
  // Resident state.
  ClusterSums sums;                 // device pointers
  double* d_xx_partials = nullptr;  // 2 PackedSize(w) x kXxMaxBlocks: (hi, lo) per entry and block
  double* d_xx_total = nullptr;     // 2 PackedSize(w): running (hi, lo) per packed entry
};

// Bytes of CUB's radix-sort temporary storage for a chunk of `len` rows (> 0).
cudaError_t RowPassSortTempBytes(int64_t len, int key_bits, size_t* bytes);

// The four steps for one chunk (cudaErrorInvalidValue when the sort scratch is too small for
// len). Requires q <= kMaxClusterQ, w <= kMaxClusterW and len <= ld <
// 2^31. Returns the first launch error; with `sync_each_launch` also synchronizes after each.
cudaError_t LaunchRowPassChunk(const RowPassChunkArgs& args, cudaStream_t stream,
                               bool sync_each_launch);

}  // namespace lmm::kernels
