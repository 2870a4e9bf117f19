#include "likelihood/gpu/device_clusters.h"

#include <fmt/format.h>

#include <utility>

#include "likelihood/gpu/cluster_pass.h"
#include "likelihood/gpu/cluster_transfer.h"
#include "likelihood/gpu/device_buffer.h"
#include "likelihood/gpu/gpu_context.h"

namespace lmm::gpu {

// Device memory space: every buffer below.
struct DeviceClusters::Device {
  std::unique_ptr<GpuContext> ctx;
  DeviceBuffer<double> d_d, d_panel;  // cross-products, ClusterView layout
  ClusterPass pass;                   // blocks of `block` clusters
};

int64_t DeviceClusters::BytesNeeded(const HostClusters& host, int64_t block) {
  return static_cast<int64_t>(host.d.size() + host.panel.size()) * 8 +
         ClusterPass::BytesNeeded(host.q, host.w, host.clusters, block);
}

DeviceClusters::DeviceClusters() : dev_(std::make_unique<Device>()) {}
DeviceClusters::~DeviceClusters() = default;

const std::string& DeviceClusters::device_name() const { return description_; }

int64_t DeviceClusters::blocks() const { return dev_->pass.blocks(); }

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
  dc->q_ = host.q;
  dc->w_ = host.w;
  dc->device_bytes_ = needed;
  s = dev.pass.Allocate(host.q, host.w, host.clusters, block);
  if (s.ok()) s = UploadClusters(host, dev.ctx->stream(), &dev.d_d, &dev.d_panel);
  if (s.ok()) s = dev.ctx->Synchronize();
  if (!s.ok()) return fail(s, s.ToString());
  *out = std::move(dc);
  return Status::Ok();
}

Status DeviceClusters::ReduceBlocks(const double* lambda, std::vector<ClusterReduction>* out) {
  Device& dev = *dev_;
  out->resize(static_cast<size_t>(dev.pass.blocks()));
  return dev.pass.Run(*dev.ctx, {clusters_, q_, w_, dev.d_d.get(), dev.d_panel.get()}, lambda,
                      *out);
}

}  // namespace lmm::gpu
