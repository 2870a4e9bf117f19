#include "likelihood/gpu/gpu_evaluator.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <utility>

#include "cluster_shape.h"
#include "likelihood/cpu/thread_pool.h"
#include "likelihood/gpu/cluster_pass.h"
#include "likelihood/gpu/cluster_transfer.h"
#include "likelihood/gpu/device_buffer.h"
#include "likelihood/gpu/device_probe.h"
#include "likelihood/gpu/gpu_context.h"
#include "likelihood/gpu/gpu_multi_evaluator.h"
#include "likelihood/gpu/gpu_row_pass.h"
#include "likelihood/gpu/one_term_modes.h"

namespace lmm {

// Device memory space: every buffer below.
struct GpuEvaluator::Device {
  std::unique_ptr<gpu::GpuContext> ctx;
  gpu::DeviceBuffer<double> d_d, d_panel;  // cross-products, ClusterView layout
  gpu::ClusterPass pass;                   // one block of all clusters
};

namespace {

// Host threads of the device one-time pass: the centers' column sums and the copies into the
// pinned staging buffers (memory-bound; a few threads saturate the host's bandwidth).
constexpr int kRowPassHostThreads = 8;

int64_t BytesNeeded(const ModelFrame& frame) {
  if (!UsesOneTermKernels(frame)) return MultiTermDeviceBytesBound(frame);
  const RandomEffectTerm& t = frame.random[0];
  return kernels::ClusterDeviceBytes(t.levels, t.q(), frame.p() + 1);
}

}  // namespace

GpuProbe GpuEvaluator::Probe(const ModelFrame& frame) {
  return gpu::ProbeDevice([&] { return GpuModelUnsupportedReason(frame); },
                          [&] { return BytesNeeded(frame); }, "needs");
}

std::unique_ptr<Evaluator> GpuEvaluator::Create(const ModelFrame& frame,
                                                const EvaluatorOptions& options, Status* status) {
  if (!GpuModelUnsupportedReason(frame).empty()) {
    *status = Status::Error(Status::Code::kUnsupported,
                            "evaluator: the GPU backend cannot take this model (the term with the "
                            "most levels has more than 8 columns, or the other terms are too many "
                            "for one dense matrix)");
    return nullptr;
  }
  if (!UsesOneTermKernels(frame)) return GpuMultiTermEvaluator::Create(frame, options, status);
  gpu::RowPassOptions row_pass;
  if (const char* env = std::getenv("LMMGPU_ROW_PASS"); env != nullptr) {
    if (std::strcmp(env, "host") == 0) row_pass.where = gpu::RowPassWhere::kHost;
    if (std::strcmp(env, "device") == 0) row_pass.where = gpu::RowPassWhere::kDevice;
  }
  return CreateOneTerm(frame, row_pass, status);
}

std::unique_ptr<GpuEvaluator> GpuEvaluator::CreateOneTerm(const ModelFrame& frame,
                                                          const gpu::RowPassOptions& row_pass,
                                                          Status* status) {
  std::unique_ptr<GpuEvaluator> ev(new GpuEvaluator(frame));
  *status = ev->Init(frame, row_pass);
  if (!status->ok()) return nullptr;
  return ev;
}

GpuEvaluator::GpuEvaluator(const ModelFrame& frame)
    : Evaluator(frame), dev_(std::make_unique<Device>()) {}

GpuEvaluator::~GpuEvaluator() = default;

std::optional<DeviceReport> GpuEvaluator::device_report() const {
  const Device& dev = *dev_;
  DeviceReport r;
  r.name = dev.ctx->Describe();
  r.device_bytes = gpu::TotalBytes(dev.d_d, dev.d_panel) + dev.pass.device_bytes();
  r.device_pass = row_pass_.on_device;
  r.pass_rows = row_pass_.rows;
  r.pass_chunk_rows = row_pass_.chunk_rows;
  r.pass_chunks = row_pass_.chunks;
  r.pass_staging_device_bytes = row_pass_.staging_device_bytes;
  r.pass_pinned_host_bytes = row_pass_.pinned_host_bytes;
  r.pass_seconds = row_pass_.seconds;
  return r;
}

const std::string& GpuEvaluator::device_name() const { return dev_->ctx->device_name(); }

Status GpuEvaluator::Init(const ModelFrame& frame, const gpu::RowPassOptions& row_pass) {
  Status s = gpu::GpuContext::Create(&dev_->ctx);
  if (!s.ok()) return s;
  size_t free_bytes = 0, total_bytes = 0;
  s = dev_->ctx->MemoryInfo(&free_bytes, &total_bytes);
  if (!s.ok()) return s;
  const int64_t free_now = static_cast<int64_t>(free_bytes);
  bool on_device =
      row_pass.where == gpu::RowPassWhere::kDevice ||
      (row_pass.where == gpu::RowPassWhere::kAuto && frame.n() >= gpu::kDeviceRowPassMinRows);
  // The pass's peak (its resident sums included) comes before the evaluation buffers are
  // allocated, and its staging is freed by then: the larger of the two must fit, not their sum.
  if (on_device &&
      std::max(gpu::DeviceRowPassPeakBytes(frame, row_pass), BytesNeeded(frame)) > free_now) {
    if (row_pass.where == gpu::RowPassWhere::kDevice)
      return Status::Error(Status::Code::kUnsupported,
                           "evaluator: not enough free device memory for the device one-time pass");
    on_device = false;
  }
  if (BytesNeeded(frame) > free_now)
    return Status::Error(Status::Code::kUnsupported,
                         "evaluator: not enough free device memory for the GPU backend");
  s = on_device ? InitFromDevicePass(frame, row_pass) : InitFromHostPass(frame);
  if (!s.ok() && on_device && row_pass.where == gpu::RowPassWhere::kAuto) {
    // The device pass failed (out of device or pinned memory, most likely): the host pass needs
    // neither staging buffers nor pinned memory. A sticky device error fails it too.
    dev_->d_d.Reset();
    dev_->d_panel.Reset();
    s = InitFromHostPass(frame);
  }
  if (!s.ok()) return s;
  return AllocateEvaluationBuffers();
}

Status GpuEvaluator::InitFromHostPass(const ModelFrame& frame) {
  const auto start = std::chrono::steady_clock::now();
  cp_ = cpu::BuildCrossProducts(frame, layout_);
  host_ = gpu::PackClusters(cp_);
  // Only cp_.a and cp_.centering are used from here on.
  cp_.d = {};
  cp_.panel = {};
  cp_.panel_off = {};
  cp_.row_index = {};
  cp_.row_off = {};
  Device& dev = *dev_;
  const cudaStream_t stream = dev.ctx->stream();
  Status s = gpu::UploadClusters(host_, stream, &dev.d_d, &dev.d_panel);
  if (s.ok()) s = dev.ctx->Synchronize();
  if (!s.ok()) return s;
  row_pass_ = gpu::RowPassStats{};
  row_pass_.rows = frame.n();
  row_pass_.resident_bytes = static_cast<int64_t>(dev.d_d.bytes() + dev.d_panel.bytes());
  row_pass_.upload_bytes = row_pass_.resident_bytes;
  row_pass_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::Ok();
}

Status GpuEvaluator::InitFromDevicePass(const ModelFrame& frame,
                                        const gpu::RowPassOptions& row_pass) {
  gpu::CheckOneTermFrame(frame);
  const auto start = std::chrono::steady_clock::now();
  cpu::ThreadPool pool(
      std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, kRowPassHostThreads));
  const cpu::CenteringInfo centering = gpu::RowPassCentering(frame, &pool);
  Device& dev = *dev_;
  const cudaStream_t stream = dev.ctx->stream();
  gpu::DeviceRowPassOutput out;
  Status s = gpu::RunDeviceRowPass(frame, centering, row_pass, stream, dev.ctx->sync_each_launch(),
                                   &pool, &out);
  if (!s.ok()) return s;
  dev.d_d = std::move(out.d);
  dev.d_panel = std::move(out.panel);
  cp_ = gpu::OneTermFinishInputs(frame, centering, out.xx);
  // The host copy for ConditionalModes/Variances, downloaded once.
  host_.clusters = frame.random[0].levels;
  host_.q = frame.random[0].q();
  host_.w = frame.p() + 1;
  s = gpu::DownloadClusters(dev.d_d, dev.d_panel, stream, &host_);
  if (s.ok()) s = dev.ctx->Synchronize();
  if (!s.ok()) return s;
  row_pass_ = out.stats;
  row_pass_.seconds =  // the centers and the host copy included
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::Ok();
}

Status GpuEvaluator::AllocateEvaluationBuffers() {
  lambda_.assign(host_.q * host_.q, 0.0);
  return dev_->pass.Allocate(host_.q, host_.w, host_.clusters, gpu::kOneBlock);
}

Status GpuEvaluator::Update(std::span<const double> theta) {
  if (const Status s = CheckThetaLength(theta); !s.ok()) return s;
  layout_.term(0).FillLambda(layout_.TermTheta(theta, 0), lambda_.data());
  Device& dev = *dev_;
  Status s =
      dev.pass.Run(*dev.ctx, {host_.clusters, host_.q, host_.w, dev.d_d.get(), dev.d_panel.get()},
                   lambda_.data(), std::span<gpu::ClusterReduction>(&reduction_, 1));
  if (!s.ok()) return s;
  s = gpu::FinishOneTerm(cp_, reduction_, &solution_);
  if (!s.ok()) return s;
  TakeSolution(solution_);
  return Status::Ok();
}

Eigen::MatrixXd GpuEvaluator::ConditionalModes(int t) const {
  if (t != 0) return Eigen::MatrixXd();
  return gpu::OneTermModes(host_.view(), lambda_.data(), solution_.beta_centered);
}

Eigen::MatrixXd GpuEvaluator::ConditionalVariances(int t, double sigma2) const {
  if (t != 0) return Eigen::MatrixXd();
  return gpu::OneTermConditionalVariances(host_.view(), lambda_.data(), sigma2);
}

}  // namespace lmm
