#include "likelihood/gpu/gpu_multi_evaluator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "level_kernels.h"
#include "likelihood/gpu/cuda_status.h"
#include "likelihood/gpu/device_buffer.h"
#include "likelihood/gpu/gpu_context.h"
#include "likelihood/gpu/multi_term_host.h"
#include "lmm/error.h"

namespace lmm {

// Device memory space: every buffer below (resident from Init on).
struct GpuMultiTermEvaluator::Device {
  std::unique_ptr<gpu::GpuContext> ctx;
  // Block 0 per level (kernels::LevelView) and the solved panels.
  gpu::DeviceBuffer<double> d, panel, panels;
  gpu::DeviceBuffer<int64_t> panel_off, row_off, tile_off;
  gpu::DeviceBuffer<int32_t> row_index, tile_block;
  // The rest: templates' shapes, rows of S, column items, A and S.
  gpu::DeviceBuffer<int32_t> rest_q, rest_offset, row_block, row_base, item_level, item_row;
  gpu::DeviceBuffer<int64_t> item_off;
  gpu::DeviceBuffer<double> a, s;
  // Per evaluation.
  gpu::DeviceBuffer<double> lambda;  // lambda0 then the rest templates
  gpu::DeviceBuffer<double> level_logdet;
  gpu::DeviceBuffer<unsigned char> level_ok;
  gpu::DeviceBuffer<double> work, logdet;
  gpu::DeviceBuffer<int> info;
  gpu::DeviceBuffer<long long> failed;
  size_t work_device_bytes = 0, work_host_bytes = 0;  // cusolverDnXpotrf's workspaces
  std::vector<char> work_host;
};

namespace {

template <typename T>
Status Upload(gpu::DeviceBuffer<T>& buffer, const std::vector<T>& host, cudaStream_t stream) {
  Status s = buffer.Allocate(host.size());
  if (!s.ok()) return s;
  return buffer.CopyFromHost(host.data(), host.size(), stream);
}

}  // namespace

std::unique_ptr<Evaluator> GpuMultiTermEvaluator::Create(const ModelFrame& frame,
                                                         const EvaluatorOptions& options,
                                                         Status* status) {
  std::unique_ptr<GpuMultiTermEvaluator> ev(new GpuMultiTermEvaluator(frame, options));
  *status = ev->Init();
  if (!status->ok()) return nullptr;
  return ev;
}

GpuMultiTermEvaluator::GpuMultiTermEvaluator(const ModelFrame& frame,
                                             const EvaluatorOptions& options)
    : Evaluator(frame), dev_(std::make_unique<Device>()) {
  cpu::CrossProducts cp = cpu::BuildCrossProducts(frame, layout_, cpu::kMaxGpuDenseRest);
  if (cp.m > cpu::kMaxDenseRest) {
    own_cp_ = std::move(cp);
    return;
  }
  EvaluatorOptions cpu_options = options;
  cpu_options.backend = Backend::kCpu;
  cpu_ = std::make_unique<CpuEvaluator>(frame, cpu_options, std::move(cp));
}

GpuMultiTermEvaluator::~GpuMultiTermEvaluator() = default;

const std::string& GpuMultiTermEvaluator::device_name() const { return dev_->ctx->device_name(); }

std::optional<DeviceReport> GpuMultiTermEvaluator::device_report() const {
  DeviceReport r;
  r.name = dev_->ctx->Describe();
  r.device_bytes = device_bytes_;
  return r;
}

Status GpuMultiTermEvaluator::Init() {
  Device& dev = *dev_;
  Status s = gpu::GpuContext::Create(&dev.ctx);
  if (!s.ok()) return s;
  s = dev.ctx->CreateSolver();
  if (!s.ok()) return s;
  const cpu::CrossProducts& cp = cross_products();
  host_ = gpu::PackLevels(cp);
  const int q0 = cp.q0;
  const int64_t m = cp.m;
  lambda_size_ = q0 * q0 + host_.lambda_r_size;
  lambda_.assign(lambda_size_, 0.0);
  trailing_.resize(p_ + 1, p_ + 1);

  // Exact bytes but cuSOLVER's workspace (known once S exists), checked before any allocation.
  const int64_t rows = static_cast<int64_t>(cp.row_index.size());
  device_bytes_ = 8 * static_cast<int64_t>(cp.d.size() + 2 * cp.panel.size()) +
                  8 * 3 * (cp.l0 + 1) + 4 * (rows + static_cast<int64_t>(cp.tiles.size())) +
                  4 * static_cast<int64_t>(2 * host_.rest_q.size()) + 4 * 2 * m + 8 * (m + 1) +
                  4 * 2 * rows + 8 * 2 * m * m + 8 * lambda_size_ + 9 * cp.l0 + 8 + 4 + 8;
  size_t free_bytes = 0, total_bytes = 0;
  s = dev.ctx->MemoryInfo(&free_bytes, &total_bytes);
  if (!s.ok()) return s;
  if (device_bytes_ > static_cast<int64_t>(free_bytes))
    return Status::Error(Status::Code::kUnsupported,
                         "evaluator: not enough free device memory for the GPU backend");

  const cudaStream_t stream = dev.ctx->stream();
  for (const Status& step : {Upload(dev.d, cp.d, stream),
                             Upload(dev.panel, cp.panel, stream),
                             dev.panels.Allocate(cp.panel.size()),
                             Upload(dev.panel_off, cp.panel_off, stream),
                             Upload(dev.row_off, cp.row_off, stream),
                             Upload(dev.tile_off, cp.tile_off, stream),
                             Upload(dev.row_index, cp.row_index, stream),
                             Upload(dev.tile_block, host_.tile_block, stream),
                             Upload(dev.rest_q, host_.rest_q, stream),
                             Upload(dev.rest_offset, host_.rest_offset, stream),
                             Upload(dev.row_block, host_.row_block, stream),
                             Upload(dev.row_base, host_.row_base, stream),
                             Upload(dev.item_off, host_.item_off, stream),
                             Upload(dev.item_level, host_.item_level, stream),
                             Upload(dev.item_row, host_.item_row, stream),
                             dev.lambda.Allocate(lambda_size_),
                             dev.level_logdet.Allocate(cp.l0),
                             dev.level_ok.Allocate(cp.l0),
                             dev.logdet.Allocate(1),
                             dev.info.Allocate(1),
                             dev.failed.Allocate(1)})
    if (!step.ok()) return step;
  // A and S (57 GB each at ml-32m's shape) one step at a time: a braced list would run every
  // step, copying A to a null pointer and allocating S after A's allocation failed.
  s = dev.a.Allocate(m * m);
  if (!s.ok()) return s;
  s = dev.a.CopyFromHost(cp.a.data(), m * m, stream);
  if (!s.ok()) return s;
  s = dev.s.Allocate(m * m);
  if (!s.ok()) return s;
  // The 64-bit API: m^2 passes 2^31 from m = 46,341 on (ml-32m's items: 84,434).
  LMM_CUSOLVER_RETURN_IF_ERROR(cusolverDnXpotrf_bufferSize(
      dev.ctx->solver(), dev.ctx->solver_params(), CUBLAS_FILL_MODE_LOWER, m, CUDA_R_64F,
      dev.s.get(), m, CUDA_R_64F, &dev.work_device_bytes, &dev.work_host_bytes));
  s = dev.work.Allocate(std::max<size_t>(1, (dev.work_device_bytes + 7) / 8));
  if (!s.ok()) return s;
  dev.work_host.assign(std::max<size_t>(1, dev.work_host_bytes), 0);
  device_bytes_ += 8 * static_cast<int64_t>(dev.work.size());
  return dev.ctx->Synchronize();
}

// Steps 1-2 on the stream (nothing waited for): the templates down, the level pass.
Status GpuMultiTermEvaluator::LaunchPass(std::span<const double> theta) {
  const cpu::CrossProducts& cp = cross_products();
  const int q0 = cp.q0;
  layout_.term(cp.term0).FillLambda(layout_.TermTheta(theta, cp.term0), lambda_.data());
  for (size_t b = 0; b < cp.rest.size(); ++b)
    layout_.term(cp.rest[b].term)
        .FillLambda(layout_.TermTheta(theta, cp.rest[b].term),
                    lambda_.data() + q0 * q0 + host_.rest_offset[b]);
  Device& dev = *dev_;
  const cudaStream_t stream = dev.ctx->stream();
  const Status s = dev.lambda.CopyFromHost(lambda_.data(), lambda_.size(), stream);
  if (!s.ok()) return s;
  kernels::LevelPassArgs args;
  args.levels = {cp.l0,
                 q0,
                 dev.d.get(),
                 dev.panel_off.get(),
                 dev.row_off.get(),
                 dev.row_index.get(),
                 dev.tile_off.get(),
                 dev.tile_block.get(),
                 dev.panel.get()};
  args.rest = {static_cast<int>(host_.rest_q.size()), dev.rest_q.get(), dev.rest_offset.get(),
               dev.lambda.get() + q0 * q0};
  args.rows = {cp.m, cp.mt, dev.row_block.get(), dev.row_base.get()};
  args.items = {dev.item_off.get(), dev.item_level.get(), dev.item_row.get()};
  args.d_lambda0 = dev.lambda.get();
  args.d_a = dev.a.get();
  args.d_panels = dev.panels.get();
  args.d_level_logdet = dev.level_logdet.get();
  args.d_level_ok = dev.level_ok.get();
  args.d_s = dev.s.get();
  LMM_CUDA_RETURN_IF_ERROR(kernels::LaunchLevelPass(args, stream, dev.ctx->sync_each_launch()));
  return Status::Ok();
}

// Steps 3-4 on the stream: S = L_S L_S' in place, then the log-determinant and first failure.
Status GpuMultiTermEvaluator::LaunchFactor() {
  const cpu::CrossProducts& cp = cross_products();
  Device& dev = *dev_;
  const int64_t m = cp.m;
  LMM_CUSOLVER_RETURN_IF_ERROR(cusolverDnXpotrf(
      dev.ctx->solver(), dev.ctx->solver_params(), CUBLAS_FILL_MODE_LOWER, m, CUDA_R_64F,
      dev.s.get(), m, CUDA_R_64F, dev.work.get(), dev.work_device_bytes, dev.work_host.data(),
      dev.work_host_bytes, dev.info.get()));
  kernels::LevelLogdetArgs largs;
  largs.d_level_logdet = dev.level_logdet.get();
  largs.d_level_ok = dev.level_ok.get();
  largs.levels = cp.l0;
  largs.d_factor = dev.s.get();
  largs.m = cp.m;
  largs.mt = cp.mt;
  largs.d_logdet = dev.logdet.get();
  largs.d_failed = dev.failed.get();
  LMM_CUDA_RETURN_IF_ERROR(
      kernels::LaunchLevelLogdet(largs, dev.ctx->stream(), dev.ctx->sync_each_launch()));
  return Status::Ok();
}

Status GpuMultiTermEvaluator::Update(std::span<const double> theta) {
  if (const Status s = CheckThetaLength(theta); !s.ok()) return s;
  Status s = LaunchPass(theta);
  if (!s.ok()) return s;
  s = LaunchFactor();
  if (!s.ok()) return s;
  const cpu::CrossProducts& cp = cross_products();
  Device& dev = *dev_;
  const cudaStream_t stream = dev.ctx->stream();
  const int64_t m = cp.m, mt = cp.mt;
  double logdet = 0;
  long long failed = -1;
  int info = 0;
  const int w = p_ + 1;
  s = dev.logdet.CopyToHost(&logdet, 1, stream);
  if (!s.ok()) return s;
  s = dev.failed.CopyToHost(&failed, 1, stream);
  if (!s.ok()) return s;
  s = dev.info.CopyToHost(&info, 1, stream);
  if (!s.ok()) return s;
  // Columns mt .. m-1, rows mt .. m-1 of L_S (column-major, leading dimension m).
  LMM_CUDA_RETURN_IF_ERROR(
      cudaMemcpy2DAsync(trailing_.data(), w * sizeof(double), dev.s.get() + mt + mt * m,
                        m * sizeof(double), w * sizeof(double), w, cudaMemcpyDeviceToHost, stream));
  s = dev.ctx->Synchronize();
  if (!s.ok()) return s;

  if (failed >= 0)
    return Status::Error(Status::Code::kNotPositiveDefinite,
                         "evaluator: level block of the first term is not positive definite",
                         failed);
  if (info < 0)
    return Status::Error(Status::Code::kDevice, "cuSOLVER potrf: invalid argument", -info);
  if (info > 0 || !std::isfinite(logdet))
    return Status::Error(Status::Code::kNotPositiveDefinite,
                         "evaluator: dense block of the factor is not positive definite",
                         info > 0 ? info - 1 : -1);
  gpu::FinishMultiTerm(cp, logdet, trailing_, &solution_);
  if (!std::isfinite(solution_.pwrss) || !std::isfinite(solution_.logdet_rx))
    return Status::Error(Status::Code::kNotPositiveDefinite,
                         "evaluator: dense block of the factor is not positive definite");
  TakeSolution(solution_);
  theta_.assign(theta.begin(), theta.end());
  mirror_current_ = false;
  return Status::Ok();
}

Status GpuMultiTermEvaluator::Snapshot(std::span<const double> theta, gpu::DeviceSnapshot* out) {
  if (const Status s = CheckThetaLength(theta); !s.ok()) return s;
  const cpu::CrossProducts& cp = cross_products();
  Device& dev = *dev_;
  const cudaStream_t stream = dev.ctx->stream();
  const int64_t m = cp.m;
  Status s = LaunchPass(theta);
  if (!s.ok()) return s;
  out->panels.resize(cp.panel.size());
  out->level_logdet.resize(cp.l0);
  out->level_ok.resize(cp.l0);
  out->s.resize(m, m);
  out->factor.resize(m, m);
  for (const Status& step : {dev.panels.CopyToHost(out->panels.data(), out->panels.size(), stream),
                             dev.level_logdet.CopyToHost(out->level_logdet.data(), cp.l0, stream),
                             dev.level_ok.CopyToHost(out->level_ok.data(), cp.l0, stream),
                             dev.s.CopyToHost(out->s.data(), m * m, stream)})
    if (!step.ok()) return step;
  s = LaunchFactor();
  if (!s.ok()) return s;
  for (const Status& step : {dev.s.CopyToHost(out->factor.data(), m * m, stream),
                             dev.logdet.CopyToHost(&out->logdet, 1, stream),
                             dev.failed.CopyToHost(&out->failed, 1, stream),
                             dev.info.CopyToHost(&out->info, 1, stream), dev.ctx->Synchronize()})
    if (!step.ok()) return step;
  return Status::Ok();
}

const CpuEvaluator& GpuMultiTermEvaluator::Mirror() const {
  if (cpu_ == nullptr)
    throw Error(ErrorKind::kUsage,
                "conditional modes and variances (--ranef, --predict) of this model are not "
                "available: its terms after the first have " +
                    std::to_string(own_cp_.mt) +
                    " random effects, and the host back-substitution stores them densely up to " +
                    std::to_string(cpu::kMaxDenseRest - p_ - 1));
  if (!mirror_current_) {
    const Status s = cpu_->Update(theta_);
    mirror_current_ = s.ok();
  }
  return *cpu_;
}

Eigen::MatrixXd GpuMultiTermEvaluator::ConditionalModes(int t) const {
  const CpuEvaluator& cpu = Mirror();
  if (!mirror_current_) return Eigen::MatrixXd();
  return cpu.ConditionalModes(t);
}

Eigen::MatrixXd GpuMultiTermEvaluator::ConditionalVariances(int t, double sigma2) const {
  const CpuEvaluator& cpu = Mirror();
  if (!mirror_current_) return Eigen::MatrixXd();
  return cpu.ConditionalVariances(t, sigma2);
}

}  // namespace lmm
