// Launch shape of the cluster pass and the device memory of one evaluator: plain C++ shared by
// the kernels, their launchers, the GPU evaluator and the CPU tests (which check that the shape
// visits every cluster exactly once).
#pragma once

#include <cstdint>

#include "cluster_math.h"

namespace lmm::kernels {

inline constexpr int kClusterThreads = 128;  // threads per block of the cluster pass
inline constexpr int kClusterMaxBlocks = 2048;

// Grid of the cluster pass for `count` clusters: `blocks` blocks of kClusterThreads threads,
// each thread taking up to `rounds` clusters. Depends on `count` only (not on the device), so
// the summation order, and hence the result, is the same on every GPU.
struct ClusterPassShape {
  int blocks = 0;
  int rounds = 0;
};

LMM_HD inline ClusterPassShape ShapeClusterPass(int64_t count) {
  ClusterPassShape s;
  if (count <= 0) return s;
  const int64_t needed = (count + kClusterThreads - 1) / kClusterThreads;
  s.blocks = static_cast<int>(needed < kClusterMaxBlocks ? needed : kClusterMaxBlocks);
  const int64_t per_round = static_cast<int64_t>(s.blocks) * kClusterThreads;
  s.rounds = static_cast<int>((count + per_round - 1) / per_round);
  return s;
}

// The cluster (offset from the shard's first) that thread `thread` of block `block` takes in
// round `round`; the thread is idle when it is >= count. Consecutive threads take consecutive
// clusters, so their loads of the structure-of-arrays layout coalesce.
LMM_HD inline int64_t ClusterOfThread(int round, int block, int thread, int blocks) {
  return (static_cast<int64_t>(round) * blocks + block) * kClusterThreads + thread;
}

// One launch for a shard of `count` clusters reduced in consecutive blocks of `block` clusters
// (the last may be shorter), each block by itself exactly as a launch of ShapeClusterPass(its
// count) over it alone: CTA ctas_per_block b + j is CTA j of block b, and blocks needing fewer
// CTAs than the first leave theirs idle. `block` <= 0: one block of all `count` (the plain pass;
// one reduction even of no clusters).
struct ClusterBlocksShape {
  int64_t block = 1;       // clusters per block (> 0)
  int64_t reductions = 0;  // blocks, each reduced into its own ReducedEntries(w) numbers
  int ctas_per_block = 0;  // ShapeClusterPass(first block's count).blocks, the most of any block
  int64_t ctas() const { return reductions * ctas_per_block; }
};

inline ClusterBlocksShape ShapeClusterBlocks(int64_t count, int64_t block) {
  ClusterBlocksShape s;
  if (count < 0) count = 0;
  s.block = block > 0 ? block : (count > 0 ? count : 1);
  s.reductions = block > 0 ? (count + block - 1) / block : 1;
  s.ctas_per_block = ShapeClusterPass(count < s.block ? count : s.block).blocks;
  return s;
}

// What CTA `cta` of a ShapeClusterBlocks launch works on: block `index` (clusters [first, first +
// count) of the shard), as CTA `j` of that block's own ShapeClusterPass(count) launch `shape`;
// idle when j >= shape.blocks.
struct ClusterCta {
  int64_t index = 0;
  int64_t first = 0;
  int64_t count = 0;
  int j = 0;
  ClusterPassShape shape;
};

LMM_HD inline ClusterCta CtaOfClusterBlocks(int64_t cta, int64_t count, int64_t block,
                                            int ctas_per_block) {
  ClusterCta c;
  c.index = cta / ctas_per_block;
  c.j = static_cast<int>(cta % ctas_per_block);
  c.first = c.index * block;
  c.count = count - c.first < block ? count - c.first : block;
  c.shape = ShapeClusterPass(c.count);
  return c;
}

// Entries reduced per evaluation: the packed (p+1) x (p+1) downdate, then the log-determinant.
LMM_HD inline int ReducedEntries(int w) { return PackedSize(w) + 1; }

// Device memory of one evaluator in bytes: the cross-products (PackedSize(q) + w q doubles per
// cluster), the per-block partials and the small per-evaluation buffers.
inline int64_t ClusterDeviceBytes(int64_t clusters, int q, int w) {
  const int64_t per_cluster = static_cast<int64_t>(PackedSize(q) + w * q) * 8;
  const int64_t partials = static_cast<int64_t>(ReducedEntries(w)) * (kClusterMaxBlocks + 1) * 8;
  return clusters * per_cluster + partials + (kClusterMaxBlocks + 1) * 8 + q * q * 8 + 4096;
}

}  // namespace lmm::kernels
