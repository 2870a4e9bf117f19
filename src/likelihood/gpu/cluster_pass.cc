#include "likelihood/gpu/cluster_pass.h"

#include "cluster_kernels.h"
#include "likelihood/gpu/cuda_status.h"

namespace lmm::gpu {

namespace {

// The launch shape of `clusters` clusters in blocks of `block` (kOneBlock: one block of all).
kernels::ClusterBlocksShape ShapeOf(int64_t clusters, int64_t block) {
  return kernels::ShapeClusterBlocks(clusters, block == kOneBlock ? 0 : block);
}

}  // namespace

int64_t ClusterPass::BytesNeeded(int q, int w, int64_t clusters, int64_t block) {
  const kernels::ClusterBlocksShape shape = ShapeOf(clusters, block);
  const int64_t entries = kernels::ReducedEntries(w);
  return q * q * 8 + entries * shape.ctas() * 8 + shape.ctas() * 8 +
         shape.reductions * (entries * 8 + 8);
}

Status ClusterPass::Allocate(int q, int w, int64_t clusters, int64_t block) {
  if (block < 0)
    return Status::Error(Status::Code::kInvalidArgument, "cluster pass: block must be >= 0");
  const kernels::ClusterBlocksShape shape = ShapeOf(clusters, block);
  q_ = q;
  w_ = w;
  clusters_ = clusters;
  block_ = block;
  blocks_ = shape.reductions;
  const auto entries = static_cast<size_t>(kernels::ReducedEntries(w));
  const auto ctas = static_cast<size_t>(shape.ctas());
  result_.assign(static_cast<size_t>(blocks_) * entries, 0.0);
  failed_.assign(static_cast<size_t>(blocks_), -1);
  for (const Status& step :
       {d_lambda_.Allocate(static_cast<size_t>(q * q)), d_partials_.Allocate(entries * ctas),
        d_block_failed_.Allocate(ctas), d_result_.Allocate(result_.size()),
        d_failed_.Allocate(failed_.size())})
    if (!step.ok()) return step;
  return Status::Ok();
}

Status ClusterPass::Run(const GpuContext& ctx, const kernels::ClusterView& view,
                        const double* lambda, std::span<ClusterReduction> out) {
  if (static_cast<int64_t>(out.size()) != blocks_)
    return Status::Error(Status::Code::kInvalidArgument, "cluster pass: one output per block");
  const cudaStream_t stream = ctx.stream();
  const int entries = kernels::ReducedEntries(w_);
  Status s = d_lambda_.CopyFromHost(lambda, static_cast<size_t>(q_ * q_), stream);
  if (!s.ok()) return s;
  // Two launches for all blocks (kernels/cluster_kernels.h), each block reduced by itself.
  kernels::ClusterPassArgs args;
  args.view = view;
  args.begin = 0;
  args.count = clusters_;
  args.block = block_ == kOneBlock ? 0 : block_;
  args.d_lambda = d_lambda_.get();
  args.d_partials = d_partials_.get();
  args.d_block_failed = d_block_failed_.get();
  args.d_result = d_result_.get();
  args.d_failed = d_failed_.get();
  LMM_CUDA_RETURN_IF_ERROR(kernels::LaunchClusterPass(args, stream, ctx.sync_each_launch()));
  s = d_result_.CopyToHost(result_.data(), result_.size(), stream);
  if (!s.ok()) return s;
  s = d_failed_.CopyToHost(failed_.data(), failed_.size(), stream);
  if (!s.ok()) return s;
  s = ctx.Synchronize();
  if (!s.ok()) return s;
  for (int64_t b = 0; b < blocks_; ++b)
    UnpackReduction(result_.data() + b * entries, entries, failed_[static_cast<size_t>(b)],
                    &out[static_cast<size_t>(b)]);
  return Status::Ok();
}

}  // namespace lmm::gpu
