// The per-evaluation work of the one-term GPU evaluators (GpuEvaluator, GpuResidualEvaluator,
// DeviceClusters): Lambda goes down, the cluster pass (kernels/cluster_kernels.h, two launches for
// all blocks) factors every cluster of resident per-cluster cross-products and reduces each
// block's log|L_c|^2 and sum_c P_c P_c' into its own slot, one copy brings blocks x
// ReducedEntries(w) numbers and the blocks' first failed clusters back, and the stream is
// synchronized.
//
// ClusterPass owns the small buffers (Lambda, partials, results); the cross-products (the
// ClusterView's arrays) stay the caller's. Blocks are consecutive runs of `block` clusters
// (clusters [b * block, min((b + 1) * block, clusters))); block == kOneBlock makes one block of all
// clusters, which reduces exactly as one LaunchClusterPass over them.
//
// Uses device_buffer.h (CUDA runtime types): include it from .cc files of the CUDA build only.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "cluster_math.h"
#include "likelihood/gpu/device_buffer.h"
#include "likelihood/gpu/gpu_context.h"
#include "likelihood/gpu/one_term_host.h"
#include "likelihood/status.h"

namespace lmm::gpu {

inline constexpr int64_t kOneBlock = 0;

class ClusterPass {
 public:
  // Device bytes that Allocate(q, w, clusters, block) takes.
  static int64_t BytesNeeded(int q, int w, int64_t clusters, int64_t block);

  // Allocates for `clusters` clusters of q random effects and w = p + 1 columns of [X y], in
  // blocks of `block` (> 0) clusters or kOneBlock.
  Status Allocate(int q, int w, int64_t clusters, int64_t block);

  // Number of reductions Run writes: ceil(clusters / block), or 1 for kOneBlock.
  int64_t blocks() const { return blocks_; }

  // Runs the pass over `view` (device pointers; its shape as allocated) at Lambda = `lambda` (q x q
  // column-major, host memory) on ctx's stream and waits for it. out.size() == blocks(); out[b]
  // gets block b's sums in the kernels' fixed order (first_failed: a cluster index of the view).
  Status Run(const GpuContext& ctx, const kernels::ClusterView& view, const double* lambda,
             std::span<ClusterReduction> out);

  // Scratch of at least ReducedEntries(w) x ShapeClusterBlocks(clusters, block).ctas() doubles
  // (for kOneBlock: x ShapeClusterPass(clusters).blocks), free between Runs for other passes of
  // the same shape on the same stream (the whitening pass).
  double* partials() const { return d_partials_.get(); }

  int64_t device_bytes() const {
    return TotalBytes(d_lambda_, d_partials_, d_block_failed_, d_result_, d_failed_);
  }

 private:
  int q_ = 0, w_ = 0;
  int64_t clusters_ = 0, block_ = 0, blocks_ = 0;
  DeviceBuffer<double> d_lambda_;    // q x q
  DeviceBuffer<double> d_partials_;  // ReducedEntries(w) x ShapeClusterBlocks(...).ctas()
  DeviceBuffer<long long> d_block_failed_;
  DeviceBuffer<double> d_result_;     // blocks x ReducedEntries(w)
  DeviceBuffer<long long> d_failed_;  // blocks
  std::vector<double> result_;        // as downloaded
  std::vector<long long> failed_;
};

}  // namespace lmm::gpu
