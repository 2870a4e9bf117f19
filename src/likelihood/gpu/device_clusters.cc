#include "likelihood/gpu/device_clusters.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "cluster_kernels.h"
#include "likelihood/gpu/cuda_status.h"
#include "likelihood/gpu/device_buffer.h"
#include "likelihood/gpu/gpu_context.h"

namespace lmm::gpu {

// Device memory space: every buffer below.
struct DeviceClusters::Device {
  std::unique_ptr<GpuContext> ctx;
  DeviceBuffer<double> d_d, d_panel;  // cross-products, ClusterView layout
  DeviceBuffer<double> d_lambda;      // q x q
  DeviceBuffer<double> d_partials;    // ReducedEntries(w) x ShapeClusterPass(block).blocks
  DeviceBuffer<long long> d_block_failed;
  DeviceBuffer<double> d_result;     // blocks x ReducedEntries(w)
  DeviceBuffer<long long> d_failed;  // blocks
};

namespace {

int64_t BlockCount(int64_t clusters, int64_t block) { return (clusters + block - 1) / block; }

}  // namespace

int64_t DeviceClusters::BytesNeeded(const HostClusters& host, int64_t block) {
  const int64_t entries = kernels::ReducedEntries(host.w);
  const int64_t blocks = BlockCount(host.clusters, block);
  const int64_t shape_blocks = kernels::ShapeClusterPass(std::min(block, host.clusters)).blocks;
  return static_cast<int64_t>(host.d.size() + host.panel.size()) * 8 +
         host.q * host.q * 8 + entries * shape_blocks * 8 + shape_blocks * 8 +
         blocks * (entries * 8 + 8);
}

DeviceClusters::DeviceClusters() : dev_(std::make_unique<Device>()) {}
DeviceClusters::~DeviceClusters() = default;

const std::string& DeviceClusters::device_name() const { return description_; }

Status DeviceClusters::Create(const HostClusters& host, int64_t block,
                              std::unique_ptr<DeviceClusters>* out, std::string* why) {
  const auto fail = [&](const Status& s, const std::string& message) {
    if (why != nullptr) *why = message;
    return s;
  };
  if (block <= 0)
    return Status::Error(Status::Code::kInvalidArgument, "device clusters: block must be > 0");
  std::unique_ptr<DeviceClusters> dc(new DeviceClusters());
  Device& dev = *dc->dev_;
  Status s = GpuContext::Create(&dev.ctx);
  if (!s.ok()) return fail(s, fmt::format("no usable CUDA device ({})", s.what()));
  size_t free_bytes = 0, total_bytes = 0;
  s = dev.ctx->MemoryInfo(&free_bytes, &total_bytes);
  if (!s.ok()) return fail(s, s.ToString());
  const int64_t needed = BytesNeeded(host, block);
  if (needed > static_cast<int64_t>(free_bytes))
    return fail(Status::Error(Status::Code::kUnsupported, "not enough free device memory"),
                fmt::format("not enough device memory: the clusters need {:.1f} MiB; {:.1f} MiB "
                            "of {:.1f} MiB are free on {}",
                            needed / 1048576.0, free_bytes / 1048576.0, total_bytes / 1048576.0,
                            dev.ctx->Describe()));
  dc->description_ = dev.ctx->Describe();
  dc->clusters_ = host.clusters;
  dc->block_ = block;
  dc->blocks_ = BlockCount(host.clusters, block);
  dc->q_ = host.q;
  dc->w_ = host.w;
  dc->device_bytes_ = needed;
  const int entries = kernels::ReducedEntries(host.w);
  const int shape_blocks = kernels::ShapeClusterPass(std::min(block, host.clusters)).blocks;
  dc->result_.assign(static_cast<size_t>(dc->blocks_ * entries), 0.0);
  dc->failed_.assign(static_cast<size_t>(dc->blocks_), -1);
  for (const Status& step :
       {dev.d_d.Allocate(host.d.size()), dev.d_panel.Allocate(host.panel.size()),
        dev.d_lambda.Allocate(static_cast<size_t>(host.q * host.q)),
        dev.d_partials.Allocate(static_cast<size_t>(entries) * shape_blocks),
        dev.d_block_failed.Allocate(static_cast<size_t>(shape_blocks)),
        dev.d_result.Allocate(dc->result_.size()), dev.d_failed.Allocate(dc->failed_.size())})
    if (!step.ok()) return fail(step, step.ToString());
  const cudaStream_t stream = dev.ctx->stream();
  for (const Status& step : {dev.d_d.CopyFromHost(host.d.data(), host.d.size(), stream),
                             dev.d_panel.CopyFromHost(host.panel.data(), host.panel.size(), stream),
                             dev.ctx->Synchronize()})
    if (!step.ok()) return fail(step, step.ToString());
  *out = std::move(dc);
  return Status::Ok();
}

Status DeviceClusters::ReduceBlocks(const double* lambda, std::vector<ClusterReduction>* out) {
  Device& dev = *dev_;
  const cudaStream_t stream = dev.ctx->stream();
  const int entries = kernels::ReducedEntries(w_);
  Status s = dev.d_lambda.CopyFromHost(lambda, static_cast<size_t>(q_ * q_), stream);
  if (!s.ok()) return s;
  // The launches of one stream run in order, so every block reuses the same partial buffers.
  kernels::ClusterPassArgs args;
  args.view = {clusters_, q_, w_, dev.d_d.get(), dev.d_panel.get()};
  args.d_lambda = dev.d_lambda.get();
  args.d_partials = dev.d_partials.get();
  args.d_block_failed = dev.d_block_failed.get();
  for (int64_t b = 0; b < blocks_; ++b) {
    args.begin = b * block_;
    args.count = std::min(block_, clusters_ - args.begin);
    args.d_result = dev.d_result.get() + b * entries;
    args.d_failed = dev.d_failed.get() + b;
    LMM_CUDA_RETURN_IF_ERROR(
        kernels::LaunchClusterPass(args, stream, dev.ctx->sync_each_launch()));
  }
  s = dev.d_result.CopyToHost(result_.data(), result_.size(), stream);
  if (!s.ok()) return s;
  s = dev.d_failed.CopyToHost(failed_.data(), failed_.size(), stream);
  if (!s.ok()) return s;
  s = dev.ctx->Synchronize();
  if (!s.ok()) return s;
  out->resize(static_cast<size_t>(blocks_));
  for (int64_t b = 0; b < blocks_; ++b) {
    ClusterReduction& r = (*out)[static_cast<size_t>(b)];
    const double* at = result_.data() + b * entries;
    r.downdate.assign(at, at + entries - 1);
    r.logdet = at[entries - 1];
    r.first_failed = failed_[static_cast<size_t>(b)];
  }
  return Status::Ok();
}

}  // namespace lmm::gpu
