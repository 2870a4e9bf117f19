// Host side of the device one-time pass (gpu_row_pass.h) for one-term models: the centers (the
// CPU pass's, recomputed identically), the frame checks, the chunk plan and memory figures, and
// the reference pass -- the same row_pass_math.h functions over the same chunks in the same
// order, on the host -- that the tests compare the device with. Plain C++ (no CUDA): the
// kernels_host tests run all of it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "cluster_math.h"
#include "likelihood/cpu/cross_products.h"
#include "likelihood/cpu/thread_pool.h"
#include "likelihood/gpu/cluster_pack.h"
#include "lmm/error.h"
#include "lmm/model_frame.h"
#include "row_pass_math.h"

namespace lmm::gpu {

// Where the one-term GPU evaluator forms its per-cluster cross-products. kAuto: on the device
// from kDeviceRowPassMinRows rows on, and on the host below that or when the device pass does not
// fit in free device memory. The host pass (cpu::BuildCrossProducts, q = 2, p = 4) took 0.054 s
// at 1e6 rows and 0.68 s at 1e7 rows on this project's 2-core build machine (2026-11-21); below
// 1e6 rows that is about what the device pass is expected to spend before its first chunk
// (pinning two staging buffers, up to ~160 MB for q = 2, p = 4; streams; sort scratch; not
// measured: no device was available).
enum class RowPassWhere { kAuto, kHost, kDevice };
inline constexpr int64_t kDeviceRowPassMinRows = 1000000;
// Device memory for one pass's chunk buffers (both raw chunks, sort keys and scratch, the grouped
// copy). Fixed rather than taken from the free memory so that the chunk size, and with it the
// (last-bit) rounding of [X y]'[X y], is the same on every device.
inline constexpr int64_t kRowPassDeviceBudget = int64_t{256} << 20;
inline constexpr int64_t kMaxChunkRows = int64_t{1} << 30;  // int32 row indices in the sort

struct RowPassOptions {
  RowPassWhere where = RowPassWhere::kAuto;
  int64_t chunk_rows = 0;  // > 0: this many rows per chunk (tests); 0: from the budget
  int64_t device_budget_bytes = kRowPassDeviceBudget;
};

// What the one-time pass used; `on_device` false: the host pass (cpu::BuildCrossProducts), and
// then only `rows` and `seconds` are set.
struct RowPassStats {
  bool on_device = false;
  int64_t rows = 0;
  int64_t chunk_rows = 0;
  int64_t chunks = 0;
  int64_t resident_bytes = 0;        // per-cluster cross-products, kept for the evaluations
  int64_t staging_device_bytes = 0;  // chunk buffers and scratch, freed after the pass
  int64_t pinned_host_bytes = 0;     // two pinned staging buffers, freed after the pass
  int64_t upload_bytes = 0;          // host-to-device bytes of the rows
  double upload_seconds = 0;         // device time of the uploads (CUDA events, summed)
  double kernel_seconds = 0;         // device time of the chunks' kernels (summed)
  double seconds = 0;  // wall time of the pass (staging, upload, kernels); GpuEvaluator::row_pass()
                       // also counts the centers and the download of the host copy
};

// cpu::CheckFrame (BuildCrossProducts' checks, with its messages) for a frame that must have one
// random-effect term (kInternal otherwise).
inline void CheckOneTermFrame(const ModelFrame& frame) {
  if (frame.random.size() != 1)
    throw Error(ErrorKind::kInternal, "evaluator: the one-term pass needs one random-effect term");
  cpu::CheckFrame(frame);
}

// The centers of cpu::BuildCrossProducts (cpu::MakeCentering, X's and y's): the device pass
// centers exactly as the host pass. `pool` (optional) as MakeCentering's.
inline cpu::CenteringInfo RowPassCentering(const ModelFrame& frame,
                                           cpu::ThreadPool* pool = nullptr) {
  return cpu::MakeCentering(frame, pool);
}

// x_shift then y_shift: the `shift` argument of the row-pass functions.
inline std::vector<double> ShiftVector(const cpu::CenteringInfo& c) {
  std::vector<double> s(c.x_shift.data(), c.x_shift.data() + c.x_shift.size());
  s.push_back(c.y_shift);
  return s;
}

// Bits of the largest cluster index (at least 1): the radix sort's end bit.
inline int KeyBits(int64_t levels) {
  int bits = 1;
  while (bits < 32 && (int64_t{1} << bits) < levels) ++bits;
  return bits;
}

// Device bytes per chunk row (both raw chunks, keys, row indices, iota, grouped copy, and an
// allowance of 16 bytes for the radix sort's double buffers) and resident bytes.
inline int64_t ChunkDeviceBytesPerRow(int q, int w) {
  return 2 * ((q + w) * 8 + 4) + 3 * 4 + (q + w) * 8 + 16;
}
inline int64_t RowPassResidentBytes(int64_t clusters, int q, int w) {
  return clusters * (kernels::PackedSize(q) + w * q) * 8;
}
inline int64_t RowPassFixedBytes(int w) {  // [X y]'[X y] partials and total, shifts
  return (2 * kernels::PackedSize(w) * (kernels::kXxMaxBlocks + 1) + w) * 8;
}

// Rows per chunk: options.chunk_rows when set, else as many as the budget holds; within [1, n]
// and kMaxChunkRows.
inline int64_t PlanChunkRows(int64_t n, int q, int w, const RowPassOptions& options) {
  int64_t rows = options.chunk_rows > 0
                     ? options.chunk_rows
                     : options.device_budget_bytes / ChunkDeviceBytesPerRow(q, w);
  rows = std::min({rows, std::max<int64_t>(n, 1), kMaxChunkRows});
  return std::max<int64_t>(rows, 1);
}

// The reference of the device pass's result: the per-cluster sums (ClusterView layout) and
// [X y]'[X y] (packed lower triangle, double-double rounded to double).
struct RowPassResult {
  HostClusters clusters;
  std::vector<double> xx;
};

// One chunk's contribution, as the kernels make it (row_pass_kernels.h): rows [r0, r0 + len) of
// the frame grouped stably by cluster, centered, run by run into `sums`; the [X y]'[X y] block
// partials over ShapeXxPass(len) added in block order to `xx_dd` (hi, lo per packed entry).
inline void HostRowPassChunk(const ModelFrame& frame, const std::vector<double>& shift, int64_t r0,
                             int64_t len, const kernels::ClusterSums& sums,
                             std::vector<double>& xx_dd) {
  using namespace kernels;
  if (len <= 0) return;
  const RandomEffectTerm& t = frame.random[0];
  const int q = sums.q, w = sums.w, p = w - 1;
  const int64_t n = frame.n();
  // The raw chunk, as staged for the upload: z, x, y columns, leading dimension len.
  std::vector<double> raw(static_cast<size_t>((q + w) * len));
  for (int k = 0; k < q; ++k) std::memcpy(&raw[k * len], t.z.data() + k * n + r0, len * 8);
  for (int j = 0; j < p; ++j)
    std::memcpy(&raw[(q + j) * len], frame.x.data() + j * n + r0, len * 8);
  std::memcpy(&raw[(q + p) * len], frame.y.data() + r0, len * 8);
  std::vector<int32_t> perm(len);
  std::iota(perm.begin(), perm.end(), 0);
  const int32_t* level = t.level.data() + r0;
  std::stable_sort(perm.begin(), perm.end(),
                   [&](int32_t a, int32_t b) { return level[a] < level[b]; });
  std::vector<uint32_t> keys(len);
  std::vector<double> sorted(raw.size());
  for (int64_t r = 0; r < len; ++r) {
    keys[r] = static_cast<uint32_t>(level[perm[r]]);
    GatherCenteredRow(raw.data(), len, perm[r], q, w, shift.data(), sorted.data(), len, r);
  }
  const GroupedChunk g{len, len, sorted.data(), keys.data()};
  for (int64_t r = 0; r < len; ++r)
    if (StartsSegment(g, r)) AccumulateSegment(g, r, SegmentEnd(g, r), sums);
  const XxPassShape shape = ShapeXxPass(len);
  const int entries = PackedSize(w);
  for (int e = 0; e < entries; ++e) {
    int i = 0, j = 0;
    UnpackIndex(e, &i, &j);
    const double* vi = &raw[(q + i) * len];
    const double* vj = &raw[(q + j) * len];
    for (int b = 0; b < shape.blocks; ++b) {
      const int64_t begin = b * shape.rows_per_block;
      const int64_t end = std::min(len, begin + shape.rows_per_block);
      double hi = 0, lo = 0;
      for (int64_t r = begin; r < end; ++r)
        DdAddProduct(hi, lo, SubRn(vi[r], shift[i]), SubRn(vj[r], shift[j]));
      DdAdd(xx_dd[2 * e], xx_dd[2 * e + 1], hi, lo);
    }
  }
}

// The whole pass on the host, `chunk_rows` rows at a time (frame checked by the caller).
inline RowPassResult HostRowPass(const ModelFrame& frame, const cpu::CenteringInfo& centering,
                                 int64_t chunk_rows) {
  const RandomEffectTerm& t = frame.random[0];
  RowPassResult r;
  HostClusters& h = r.clusters;
  h.clusters = t.levels;
  h.q = t.q();
  h.w = frame.p() + 1;
  h.d.assign(static_cast<size_t>(kernels::PackedSize(h.q) * h.clusters), 0.0);
  h.panel.assign(static_cast<size_t>(h.w * h.q * h.clusters), 0.0);
  const kernels::ClusterSums sums{h.clusters, h.q, h.w, h.d.data(), h.panel.data()};
  const std::vector<double> shift = ShiftVector(centering);
  std::vector<double> xx_dd(2 * kernels::PackedSize(h.w), 0.0);
  const int64_t n = frame.n();
  for (int64_t r0 = 0; r0 < n; r0 += chunk_rows)
    HostRowPassChunk(frame, shift, r0, std::min(chunk_rows, n - r0), sums, xx_dd);
  r.xx.resize(kernels::PackedSize(h.w));
  for (size_t e = 0; e < r.xx.size(); ++e) r.xx[e] = xx_dd[2 * e] + xx_dd[2 * e + 1];
  return r;
}

// What FinishOneTerm (one_term_host.h) reads of the cross-products -- p, [X y]'[X y] as `a` (both
// triangles) and the centering -- from the pass's packed [X y]'[X y].
inline cpu::CrossProducts OneTermFinishInputs(const ModelFrame& frame,
                                              const cpu::CenteringInfo& centering,
                                              const std::vector<double>& xx) {
  cpu::CrossProducts cp;
  cp.n = frame.n();
  cp.p = frame.p();
  cp.term0 = 0;
  cp.q0 = frame.random[0].q();
  cp.l0 = frame.random[0].levels;
  cp.mt = 0;
  cp.m = cp.p + 1;
  cp.a.resize(cp.m, cp.m);
  for (int i = 0; i < cp.m; ++i)
    for (int j = 0; j <= i; ++j) cp.a(i, j) = cp.a(j, i) = xx[kernels::PackedIndex(i, j)];
  cp.centering = centering;
  return cp;
}

}  // namespace lmm::gpu
