#include "likelihood/gpu/gpu_response_batch.h"

#include <algorithm>
#include <utility>

#include "likelihood/gpu/cluster_transfer.h"
#include "likelihood/gpu/cuda_status.h"
#include "likelihood/gpu/device_buffer.h"
#include "likelihood/gpu/gpu_context.h"
#include "response_kernels.h"

namespace lmm {

// Device memory space: every buffer below.
struct GpuResponseBatch::Device {
  std::unique_ptr<gpu::GpuContext> ctx;
  gpu::DeviceBuffer<double> d_d, d_panel;       // design, ClusterView layout
  gpu::DeviceBuffer<double> d_yz;               // capacity slots, ResponseView layout
  gpu::DeviceBuffer<int> d_slots;               // capacity
  gpu::DeviceBuffer<double> d_lambdas;          // capacity x q x q
  gpu::DeviceBuffer<double> d_partials;         // capacity x entries x blocks
  gpu::DeviceBuffer<long long> d_block_failed;  // capacity x blocks
  gpu::DeviceBuffer<double> d_results;          // capacity x entries
  gpu::DeviceBuffer<long long> d_failed;        // capacity
};

namespace {

int64_t DesignBytes(const gpu::HostClusters& h) {
  return static_cast<int64_t>(h.d.size() + h.panel.size()) * 8;
}

int64_t PerSlotBytes(const gpu::HostClusters& h) {
  const int64_t blocks = std::max(1, kernels::ShapeClusterPass(h.clusters).blocks);
  const int64_t entries = kernels::ReducedEntries(h.w);
  return h.clusters * h.q * 8 + 4 + h.q * h.q * 8 + entries * blocks * 8 + blocks * 8 +
         entries * 8 + 8;
}

}  // namespace

int64_t GpuResponseBatch::DeviceBytes(const gpu::HostClusters& design, int capacity) {
  return DesignBytes(design) + capacity * PerSlotBytes(design) + 4096;
}

std::unique_ptr<GpuResponseBatch> GpuResponseBatch::Create(gpu::HostClusters design, int capacity,
                                                           Status* status) {
  if (design.q < 1 || design.q > kernels::kMaxClusterQ || design.w < 1 ||
      design.w > kernels::kMaxClusterW || capacity < 1) {
    *status = Status::Error(Status::Code::kUnsupported,
                            "response batch: the design is not one the one-term kernels take");
    return nullptr;
  }
  std::unique_ptr<GpuResponseBatch> batch(new GpuResponseBatch(std::move(design), capacity));
  *status = batch->Init();
  if (!status->ok()) return nullptr;
  return batch;
}

GpuResponseBatch::GpuResponseBatch(gpu::HostClusters design, int capacity)
    : dev_(std::make_unique<Device>()),
      design_(std::move(design)),
      view_(design_.view()),
      capacity_(std::min(capacity, 65535)) {}

GpuResponseBatch::~GpuResponseBatch() = default;

const std::string& GpuResponseBatch::device_name() const { return dev_->ctx->device_name(); }

Status GpuResponseBatch::Init() {
  Status s = gpu::GpuContext::Create(&dev_->ctx);
  if (!s.ok()) return s;
  size_t free_bytes = 0, total_bytes = 0;
  s = dev_->ctx->MemoryInfo(&free_bytes, &total_bytes);
  if (!s.ok()) return s;
  // Leave a fifth of the free memory to others (the runtime, other processes).
  const int64_t budget = static_cast<int64_t>(free_bytes) / 5 * 4 - DesignBytes(design_) - 4096;
  const int64_t fits = budget > 0 ? budget / PerSlotBytes(design_) : 0;
  if (fits < 1)
    return Status::Error(Status::Code::kUnsupported,
                         "response batch: not enough free device memory for the design");
  capacity_ = static_cast<int>(std::min<int64_t>(capacity_, fits));

  const int q = design_.q;
  const int64_t entries = kernels::ReducedEntries(design_.w);
  const int64_t blocks = kernels::ShapeClusterPass(design_.clusters).blocks;
  const size_t cap = static_cast<size_t>(capacity_);
  yz_.assign(cap * q * design_.clusters, 0.0);
  results_.assign(cap * entries, 0.0);
  failed_.assign(cap, -1);
  Device& dev = *dev_;
  for (const Status& step :
       {dev.d_yz.Allocate(yz_.size()), dev.d_slots.Allocate(cap),
        dev.d_lambdas.Allocate(cap * q * q), dev.d_partials.Allocate(cap * entries * blocks),
        dev.d_block_failed.Allocate(cap * blocks), dev.d_results.Allocate(cap * entries),
        dev.d_failed.Allocate(cap)})
    if (!step.ok()) return step;
  s = gpu::UploadClusters(design_, dev.ctx->stream(), &dev.d_d, &dev.d_panel);
  if (!s.ok()) return s;
  return dev.ctx->Synchronize();
}

Status GpuResponseBatch::LoadGroup(std::span<const ResponsePieces* const> pieces) {
  Status s = PackGroup(pieces, capacity_, design_, &yz_);
  if (!s.ok()) return s;
  const size_t per_slot = static_cast<size_t>(design_.q * design_.clusters);
  Device& dev = *dev_;
  s = dev.d_yz.CopyFromHost(yz_.data(), pieces.size() * per_slot, dev.ctx->stream());
  if (!s.ok()) return s;
  return dev.ctx->Synchronize();
}

Status GpuResponseBatch::Evaluate(std::span<const int> slots, std::span<const double> lambdas,
                                  std::vector<gpu::ClusterReduction>* out) {
  const int q = design_.q;
  const size_t k = slots.size();
  if (lambdas.size() != k * q * q)
    return Status::Error(Status::Code::kInvalidArgument, "response batch: wrong number of Lambdas");
  if (static_cast<int>(k) > capacity_)
    return Status::Error(Status::Code::kInvalidArgument, "response batch: too many evaluations");
  for (int s : slots)
    if (s < 0 || s >= capacity_)
      return Status::Error(Status::Code::kInvalidArgument, "response batch: slot out of range");
  out->resize(k);
  if (k == 0) return Status::Ok();
  Device& dev = *dev_;
  const cudaStream_t stream = dev.ctx->stream();
  Status s = dev.d_slots.CopyFromHost(slots.data(), k, stream);
  if (!s.ok()) return s;
  s = dev.d_lambdas.CopyFromHost(lambdas.data(), lambdas.size(), stream);
  if (!s.ok()) return s;
  kernels::ResponsePassArgs args;
  args.design = {design_.clusters, design_.q, design_.w, dev.d_d.get(), dev.d_panel.get()};
  args.responses = {design_.clusters, q, capacity_, dev.d_yz.get()};
  args.evaluations = static_cast<int>(k);
  args.d_slots = dev.d_slots.get();
  args.d_lambdas = dev.d_lambdas.get();
  args.d_partials = dev.d_partials.get();
  args.d_block_failed = dev.d_block_failed.get();
  args.d_results = dev.d_results.get();
  args.d_failed = dev.d_failed.get();
  LMM_CUDA_RETURN_IF_ERROR(kernels::LaunchResponsePass(args, stream, dev.ctx->sync_each_launch()));
  const int entries = kernels::ReducedEntries(design_.w);
  s = dev.d_results.CopyToHost(results_.data(), k * entries, stream);
  if (!s.ok()) return s;
  s = dev.d_failed.CopyToHost(failed_.data(), k, stream);
  if (!s.ok()) return s;
  s = dev.ctx->Synchronize();
  if (!s.ok()) return s;
  for (size_t i = 0; i < k; ++i)
    gpu::UnpackReduction(results_.data() + i * entries, entries, failed_[i], &(*out)[i]);
  return Status::Ok();
}

}  // namespace lmm
