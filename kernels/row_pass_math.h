// Per-row mathematics of the device one-time pass (one random-effect term), written once for the
// host (g++: the reference pass in src/likelihood/gpu/row_pass_host.h and the kernels_host tests)
// and the device (nvcc: kernels/row_pass_kernels.cu). Plain loops; no allocation, no library
// calls, no exceptions.
//
// For cluster c with rows i in c (row order), centered columns x~_ij = x_ij - x_shift_j and
// y~_i = y_i - y_shift (cpu::CenteringInfo: the CPU pass's centers):
//   D_c(a, b)  = sum_i z_ia z_ib                     (packed lower triangle, ClusterView layout)
//   G_c(r, a)  = sum_i v_ir z_ia,  v_i = [x~_i y~_i]  (w x q column-major, entry r + a w)
//   A(r, s)    = sum_i v_ir v_is                      ([X y]'[X y], packed lower triangle)
// exactly the sums of cpu::BuildCrossProducts (likelihood/cpu/cross_products.cc). D_c and G_c
// entries are summed in row order in plain double with the products and sums rounded separately
// (MulRn/AddRn: no fused multiply-add on the device), which is the CPU pass's arithmetic term by
// term. A is summed in double-double (Dekker's TwoProd by fma, Knuth's TwoSum [Higham 2002,
// sec. 4.3]) because the CPU forms it in long double and the profiled deviance depends on
// A - sum_c P_c P_c', which cancels.
#pragma once

#include <cmath>
#include <cstdint>

#include "cluster_math.h"

namespace lmm::kernels {

// a * b and a + b, each rounded once (never contracted into an fma by the device compiler).
LMM_HD inline double MulRn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
LMM_HD inline double AddRn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
LMM_HD inline double SubRn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dsub_rn(a, b);
#else
  return a - b;
#endif
}

// Writable per-cluster sums in the ClusterView layout (entry e of cluster c at [e * stride + c]).
struct ClusterSums {
  int64_t stride = 0;  // clusters
  int q = 0;
  int w = 0;
  double* d = nullptr;      // PackedSize(q) x stride
  double* panel = nullptr;  // w q x stride
};

// One chunk's rows grouped by cluster: column k of the chunk at cols[k * ld + r], columns
// z_0 .. z_{q-1}, then x~_0 .. x~_{p-1}, y~ (already centered); key[r] the cluster of row r.
struct GroupedChunk {
  int64_t len = 0;
  int64_t ld = 0;  // leading dimension (>= len)
  const double* cols = nullptr;
  const uint32_t* key = nullptr;
};

// Whether sorted row r starts a run of one cluster (the one thread that updates the cluster).
LMM_HD inline bool StartsSegment(const GroupedChunk& g, int64_t r) {
  return r == 0 || g.key[r] != g.key[r - 1];
}

// End (exclusive) of the run of cluster g.key[begin] that starts at sorted row `begin`.
LMM_HD inline int64_t SegmentEnd(const GroupedChunk& g, int64_t begin) {
  const uint32_t c = g.key[begin];
  int64_t end = begin + 1;
  while (end < g.len && g.key[end] == c) ++end;
  return end;
}

// Row (i, j) of the packed lower triangle entry e (inverse of PackedIndex).
LMM_HD inline void UnpackIndex(int e, int* i, int* j) {
  int r = 0;
  while (PackedIndex(r + 1, 0) <= e) ++r;
  *i = r;
  *j = e - PackedIndex(r, 0);
}

// Entries of one cluster's sums: PackedSize(q) of D_c, then w q of G_c.
LMM_HD inline int ClusterEntries(int q, int w) { return PackedSize(q) + w * q; }

// Adds rows [begin, end) (one cluster's run, in row order) to entry e (< ClusterEntries) of that
// cluster's sums: D_c(a, b) = sum z_b z_a for e = PackedIndex(a, b) < PackedSize(q), else
// G_c(r, a) = sum v_r z_a with r + a w = e - PackedSize(q). The running sum is read once, extended
// row by row, written once; entries are independent, so any assignment of entries to threads
// gives the same bits.
LMM_HD inline void AccumulateSegmentEntry(const GroupedChunk& g, int64_t begin, int64_t end,
                                          const ClusterSums& s, int e) {
  const int q = s.q, w = s.w, dq = PackedSize(q);
  const int64_t c = g.key[begin];
  const double *u, *za;
  double* out;
  if (e < dq) {
    int a = 0, b = 0;
    UnpackIndex(e, &a, &b);
    za = g.cols + a * g.ld;
    u = g.cols + b * g.ld;
    out = s.d + static_cast<int64_t>(e) * s.stride + c;
  } else {
    const int pe = e - dq, row = pe % w, a = pe / w;
    za = g.cols + a * g.ld;
    u = g.cols + static_cast<int64_t>(q + row) * g.ld;
    out = s.panel + static_cast<int64_t>(pe) * s.stride + c;
  }
  double sum = *out;
  for (int64_t r = begin; r < end; ++r) sum = AddRn(sum, MulRn(u[r], za[r]));
  *out = sum;
}

// All entries of the cluster, by one thread (short runs).
LMM_HD inline void AccumulateSegment(const GroupedChunk& g, int64_t begin, int64_t end,
                                     const ClusterSums& s) {
  const int entries = ClusterEntries(s.q, s.w);
  for (int e = 0; e < entries; ++e) AccumulateSegmentEntry(g, begin, end, s, e);
}

// Runs of at least kLongRun rows are taken by a warp (its lanes over the entries) rather than one
// thread; a multiple of 32, so that a window of kLongRun sorted rows holds at most one long run's
// start.
inline constexpr int kLongRun = 256;

// Whether the run starting at sorted row `begin` (a run start) has at least kLongRun rows.
LMM_HD inline bool IsLongRun(const GroupedChunk& g, int64_t begin) {
  return begin + kLongRun <= g.len && g.key[begin + kLongRun - 1] == g.key[begin];
}

// Sorted row r of the grouped chunk from row src of the raw chunk (column k at raw[k * ld + src],
// same column order, X and y not centered): the z columns copied, x~ = x - shift, y~ = y - shift.
// shift: w values (x_shift then y_shift).
LMM_HD inline void GatherCenteredRow(const double* raw, int64_t ld, int64_t src, int q, int w,
                                     const double* shift, double* out, int64_t out_ld, int64_t r) {
  for (int k = 0; k < q; ++k) out[k * out_ld + r] = raw[k * ld + src];
  for (int j = 0; j < w; ++j) out[(q + j) * out_ld + r] = SubRn(raw[(q + j) * ld + src], shift[j]);
}

// ---- Double-double sums of [X y]'[X y] ----

// (hi, lo) += (bh, bl): TwoSum of the high parts, the low parts added, renormalized.
LMM_HD inline void DdAdd(double& hi, double& lo, double bh, double bl) {
  const double s = AddRn(hi, bh);
  const double bp = SubRn(s, hi);
  const double e = AddRn(SubRn(hi, SubRn(s, bp)), SubRn(bh, bp));
  const double l = AddRn(lo, AddRn(e, bl));
  hi = AddRn(s, l);
  lo = SubRn(l, SubRn(hi, s));
}

// (hi, lo) += a * b: the product exactly (TwoProd: p + pe = a b), added by DdAdd.
LMM_HD inline void DdAddProduct(double& hi, double& lo, double a, double b) {
  const double p = MulRn(a, b);
  DdAdd(hi, lo, p, fma(a, b, -p));
}

// Launch shape of the [X y]'[X y] partial sums of one chunk of `len` rows: block b sums rows
// [b rows_per_block, min(len, (b + 1) rows_per_block)) in row order, one double-double per
// packed entry; the blocks' partials are then added in block order (and the chunks in chunk
// order). Depends on len only, so the host reference and every device sum in the same order.
inline constexpr int kXxThreads = 256;
inline constexpr int kXxMaxBlocks = 1024;
inline constexpr int64_t kXxMinRowsPerBlock = 2048;
inline constexpr int kXxEntriesPerThread =  // ceil(PackedSize(kMaxClusterW) / kXxThreads) = 3
    (kMaxClusterW * (kMaxClusterW + 1) / 2 + kXxThreads - 1) / kXxThreads;
inline constexpr int kXxTileRows = 32;  // rows staged in shared memory at a time

struct XxPassShape {
  int blocks = 0;
  int64_t rows_per_block = 0;
};

LMM_HD inline XxPassShape ShapeXxPass(int64_t len) {
  XxPassShape s;
  if (len <= 0) return s;
  int64_t blocks = (len + kXxMinRowsPerBlock - 1) / kXxMinRowsPerBlock;
  if (blocks > kXxMaxBlocks) blocks = kXxMaxBlocks;
  s.blocks = static_cast<int>(blocks);
  s.rows_per_block = (len + blocks - 1) / blocks;
  return s;
}

}  // namespace lmm::kernels
