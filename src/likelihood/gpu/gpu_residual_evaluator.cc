#include "likelihood/gpu/gpu_residual_evaluator.h"

#include <utility>

#include "cluster_shape.h"
#include "likelihood/gpu/cluster_pass.h"
#include "likelihood/gpu/cluster_transfer.h"
#include "likelihood/gpu/cuda_status.h"
#include "likelihood/gpu/device_buffer.h"
#include "likelihood/gpu/device_probe.h"
#include "likelihood/gpu/gpu_context.h"
#include "likelihood/gpu/one_term_modes.h"
#include "lmm/error.h"
#include "whiten_kernels.h"

namespace lmm {

// Device memory space: every buffer below.
struct GpuResidualEvaluator::Device {
  std::unique_ptr<gpu::GpuContext> ctx;
  gpu::DeviceBuffer<double> d_rows;  // WhitenView layout, resident
  gpu::DeviceBuffer<int64_t> d_offsets;
  gpu::DeviceBuffer<int32_t> d_pattern;
  gpu::DeviceBuffer<int64_t> d_inverse_offset;
  gpu::DeviceBuffer<double> d_inverses;    // per u
  gpu::DeviceBuffer<double> d_shift;       // per u
  gpu::DeviceBuffer<double> d_a;           // PackedSize(w)
  gpu::DeviceBuffer<double> d_d, d_panel;  // ClusterView layout, written per u
  gpu::ClusterPass pass;                   // one block; its partials also serve the whitening
};

namespace {

// Device bytes with every cluster its own pattern (the most the inverses can take).
int64_t BytesBound(const ModelFrame& frame, const residual::Clusters& clusters) {
  const RandomEffectTerm& t = frame.random[0];
  const int q = t.q(), w = frame.p() + 1;
  int64_t inverses = 0;
  for (int64_t c = 0; c < clusters.size(); ++c)
    inverses +=
        kernels::PackedSize(static_cast<int>(clusters.offsets[c + 1] - clusters.offsets[c]));
  const auto entries = static_cast<int64_t>(clusters.rows.size());
  return kernels::ClusterDeviceBytes(t.levels, q, w) + entries * (q + w) * 8 + (t.levels + 1) * 8 +
         t.levels * 4 + clusters.size() * 8 + inverses * 8 + w * 8 + 4096;
}

}  // namespace

GpuProbe GpuResidualEvaluator::Probe(const ModelFrame& frame, const residual::Clusters& clusters) {
  return gpu::ProbeDevice([&] { return gpu::ResidualGpuUnsupportedReason(frame, clusters); },
                          [&] { return BytesBound(frame, clusters); }, "needs up to");
}

std::unique_ptr<GpuResidualEvaluator> GpuResidualEvaluator::Create(
    const ModelFrame& frame, const residual::Clusters& clusters,
    residual::ResidualStructure& structure, Status* status) {
  if (!gpu::ResidualGpuUnsupportedReason(frame, clusters).empty()) {
    *status = Status::Error(Status::Code::kUnsupported,
                            "evaluator: the GPU path for residual structures takes one "
                            "random-effect term (at most 8 columns, fewer than 32 fixed effects) "
                            "whose levels are the residual clusters");
    return nullptr;
  }
  std::unique_ptr<GpuResidualEvaluator> ev(new GpuResidualEvaluator(frame, clusters, structure));
  *status = ev->Init();
  if (!status->ok()) return nullptr;
  return ev;
}

GpuResidualEvaluator::GpuResidualEvaluator(const ModelFrame& frame,
                                           const residual::Clusters& clusters,
                                           residual::ResidualStructure& structure)
    : WhitenedEvaluator(frame),
      frame_(frame),
      clusters_(clusters),
      structure_(structure),
      dev_(std::make_unique<Device>()) {}

GpuResidualEvaluator::~GpuResidualEvaluator() = default;

std::optional<DeviceReport> GpuResidualEvaluator::device_report() const {
  const Device& dev = *dev_;
  DeviceReport r;
  r.name = dev.ctx->Describe();
  r.device_bytes = gpu::TotalBytes(dev.d_rows, dev.d_offsets, dev.d_pattern, dev.d_inverse_offset,
                                   dev.d_inverses, dev.d_shift, dev.d_a, dev.d_d, dev.d_panel) +
                   dev.pass.device_bytes();
  return r;
}

const std::string& GpuResidualEvaluator::device_name() const { return dev_->ctx->device_name(); }

Status GpuResidualEvaluator::Init() {
  Status s = gpu::GpuContext::Create(&dev_->ctx);
  if (!s.ok()) return s;
  patterns_ = gpu::FindPatterns(clusters_, structure_);
  rows_ = gpu::PackResidualRows(frame_, clusters_, patterns_);
  const int q = rows_.q, w = rows_.w;
  const int64_t bytes =
      kernels::ClusterDeviceBytes(rows_.clusters, q, w) +
      gpu::WhitenDeviceBytes(rows_, static_cast<int64_t>(patterns_.representative.size()));
  size_t free_bytes = 0, total_bytes = 0;
  s = dev_->ctx->MemoryInfo(&free_bytes, &total_bytes);
  if (!s.ok()) return s;
  if (bytes > static_cast<int64_t>(free_bytes))
    return Status::Error(Status::Code::kUnsupported,
                         "evaluator: not enough free device memory for the GPU backend");

  original_centering_ = gpu::OriginalCentering(frame_);
  cp_.n = frame_.n();
  cp_.p = frame_.p();
  cp_.q0 = q;
  cp_.l0 = rows_.clusters;
  cp_.m = w;
  cp_.a = Eigen::MatrixXd::Zero(w, w);
  cp_.centering = gpu::Uncentered(frame_.p());
  lambda_.assign(static_cast<size_t>(q * q), 0.0);
  a_packed_.assign(static_cast<size_t>(kernels::PackedSize(w)), 0.0);

  Device& dev = *dev_;
  const cudaStream_t stream = dev.ctx->stream();
  const auto clusters = static_cast<size_t>(rows_.clusters);
  for (const Status& step :
       {dev.d_rows.Allocate(rows_.rows.size()), dev.d_offsets.Allocate(rows_.offsets.size()),
        dev.d_pattern.Allocate(rows_.pattern.size()),
        dev.d_inverse_offset.Allocate(rows_.inverse_offset.size()),
        dev.d_inverses.Allocate(static_cast<size_t>(rows_.inverse_entries)),
        dev.d_shift.Allocate(static_cast<size_t>(w)),
        dev.d_a.Allocate(static_cast<size_t>(kernels::PackedSize(w))),
        dev.d_d.Allocate(static_cast<size_t>(kernels::PackedSize(q)) * clusters),
        dev.d_panel.Allocate(static_cast<size_t>(w * q) * clusters),
        dev.pass.Allocate(q, w, rows_.clusters, gpu::kOneBlock)})
    if (!step.ok()) return step;
  for (const Status& step :
       {dev.d_rows.CopyFromHost(rows_.rows.data(), rows_.rows.size(), stream),
        dev.d_offsets.CopyFromHost(rows_.offsets.data(), rows_.offsets.size(), stream),
        dev.d_pattern.CopyFromHost(rows_.pattern.data(), rows_.pattern.size(), stream),
        dev.d_inverse_offset.CopyFromHost(rows_.inverse_offset.data(), rows_.inverse_offset.size(),
                                          stream)})
    if (!step.ok()) return step;
  s = dev.ctx->Synchronize();
  if (!s.ok()) return s;
  // Only the layout is needed on the host from here on.
  rows_.rows = {};
  rows_.offsets = {};
  rows_.pattern = {};
  return Status::Ok();
}

Status GpuResidualEvaluator::SetResidualParameters(std::span<const double> u) {
  u_.assign(u.begin(), u.end());
  whitened_ = false;
  host_valid_ = false;
  structure_.Prepare(u);
  Status s = gpu::FactorPatterns(structure_, patterns_, rows_, &factors_);
  if (!s.ok()) return s;
  logdet_r_ = gpu::SumLogdetR(clusters_, patterns_, factors_);
  cp_.centering = factors_.identity && original_centering_.centered ? original_centering_
                                                                    : gpu::Uncentered(frame_.p());
  shift_ = gpu::ShiftOf(cp_.centering);

  Device& dev = *dev_;
  const cudaStream_t stream = dev.ctx->stream();
  s = dev.d_inverses.CopyFromHost(factors_.inverses.data(), factors_.inverses.size(), stream);
  if (!s.ok()) return s;
  s = dev.d_shift.CopyFromHost(shift_.data(), shift_.size(), stream);
  if (!s.ok()) return s;
  kernels::WhitenPassArgs args;
  args.view = {rows_.clusters,
               rows_.entries,
               rows_.q,
               rows_.w,
               dev.d_rows.get(),
               dev.d_offsets.get(),
               dev.d_pattern.get(),
               dev.d_inverse_offset.get(),
               dev.d_inverses.get(),
               dev.d_shift.get()};
  args.d_d = dev.d_d.get();
  args.d_panel = dev.d_panel.get();
  args.d_partials = dev.pass.partials();
  args.d_result = dev.d_a.get();
  LMM_CUDA_RETURN_IF_ERROR(kernels::LaunchWhitenPass(args, stream, dev.ctx->sync_each_launch()));
  s = dev.d_a.CopyToHost(a_packed_.data(), a_packed_.size(), stream);
  if (!s.ok()) return s;
  s = dev.ctx->Synchronize();
  if (!s.ok()) return s;
  cp_.a = gpu::UnpackSymmetric(a_packed_, rows_.w);
  whitened_ = true;
  return Status::Ok();
}

Status GpuResidualEvaluator::Update(std::span<const double> theta) {
  if (!whitened_)
    return Status::Error(Status::Code::kInvalidArgument,
                         "residual parameters not set or not positive definite");
  if (const Status s = CheckThetaLength(theta); !s.ok()) return s;
  layout_.term(0).FillLambda(layout_.TermTheta(theta, 0), lambda_.data());
  Device& dev = *dev_;
  Status s =
      dev.pass.Run(*dev.ctx, {rows_.clusters, rows_.q, rows_.w, dev.d_d.get(), dev.d_panel.get()},
                   lambda_.data(), std::span<gpu::ClusterReduction>(&reduction_, 1));
  if (!s.ok()) return s;
  s = gpu::FinishOneTerm(cp_, reduction_, &solution_);
  if (!s.ok()) return s;
  TakeSolution(solution_);
  logdet_l_ += logdet_r_;  // log|L|^2 + sum_c log|R_c| (the header's contract)
  return Status::Ok();
}

Status GpuResidualEvaluator::Download() const {
  if (host_valid_) return Status::Ok();
  const int q = rows_.q, w = rows_.w;
  host_.clusters = rows_.clusters;
  host_.q = q;
  host_.w = w;
  Status s = gpu::DownloadClusters(dev_->d_d, dev_->d_panel, dev_->ctx->stream(), &host_);
  if (s.ok()) s = dev_->ctx->Synchronize();
  if (!s.ok()) return s;
  host_valid_ = true;
  return Status::Ok();
}

const gpu::HostClusters& GpuResidualEvaluator::clusters() const {
  const Status s = Download();
  if (!s.ok()) throw Error(ErrorKind::kNumerical, "fit: the GPU failed: " + s.ToString());
  return host_;
}

Eigen::MatrixXd GpuResidualEvaluator::ConditionalModes(int t) const {
  if (t != 0 || !whitened_) return Eigen::MatrixXd();
  return gpu::OneTermModes(clusters().view(), lambda_.data(), solution_.beta_centered);
}

Eigen::MatrixXd GpuResidualEvaluator::ConditionalVariances(int t, double sigma2) const {
  if (t != 0 || !whitened_) return Eigen::MatrixXd();
  return gpu::OneTermConditionalVariances(clusters().view(), lambda_.data(), sigma2);
}

}  // namespace lmm
