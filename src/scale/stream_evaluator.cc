#include "scale/stream_evaluator.h"

#include <algorithm>
#include <limits>

#include "likelihood/gpu/one_term_modes.h"

namespace lmm::scale {

StreamEvaluator::StreamEvaluator(const ModelFrame& frame, StreamPieces pieces,
                                 Collective& collective)
    : Evaluator(frame), pieces_(std::move(pieces)), collective_(collective) {
  n_ = pieces_.n;  // the frame has no rows
  lambda_.assign(static_cast<size_t>(pieces_.block.q * pieces_.block.q), 0.0);
}

StreamEvaluator::~StreamEvaluator() = default;

std::optional<DeviceReport> StreamEvaluator::device_report() const {
#if LMM_HAVE_CUDA
  if (device_ == nullptr) return std::nullopt;
  DeviceReport r;
  r.name = device_->device_name();
  r.device_bytes = device_->device_bytes();
  return r;
#else
  return std::nullopt;
#endif
}

std::string StreamEvaluator::UseDevice() {
  const std::string local = UseLocalDevice();
  double all_ok[1] = {local.empty() ? 1.0 : 0.0};
  collective_.MinDouble(all_ok);
  if (all_ok[0] > 0) return "";
#if LMM_HAVE_CUDA
  device_.reset();
  blocks_.clear();
#endif
  return local.empty() ? "another process has no usable GPU" : local;
}

std::string StreamEvaluator::UseLocalDevice() {
#if LMM_HAVE_CUDA
  std::unique_ptr<gpu::DeviceClusters> device;
  std::string why;
  const Status s = gpu::DeviceClusters::Create(pieces_.block, kClusterBlock, &device, &why);
  if (!s.ok()) return why.empty() ? s.ToString() : why;
  device_ = std::move(device);
  return "";
#else
  return "this build has no CUDA backend (rebuild on a machine with the CUDA toolkit and "
         "-DLMM_ENABLE_CUDA=ON)";
#endif
}

Status StreamEvaluator::ReduceBlocks() {
  // Per block of kClusterBlock clusters (this process' share starts at a block boundary): logdet,
  // the packed downdate and a failure flag.
  const gpu::HostClusters& h = pieces_.block;
  const auto append = [&](const gpu::ClusterReduction& part) {
    reduced_.push_back(part.logdet);
    reduced_.insert(reduced_.end(), part.downdate.begin(), part.downdate.end());
    reduced_.push_back(part.first_failed >= 0 ? 1.0 : 0.0);
  };
  reduced_.clear();
#if LMM_HAVE_CUDA
  if (device_ != nullptr) {
    const Status s = device_->ReduceBlocks(lambda_.data(), &blocks_);
    if (!s.ok()) return s;
    for (const gpu::ClusterReduction& part : blocks_) append(part);
    return Status::Ok();
  }
#endif
  for (int64_t b = 0; b < h.clusters; b += kClusterBlock)
    append(gpu::HostClusterPass(h.view(), lambda_.data(), b,
                                std::min(h.clusters, b + kClusterBlock)));
  return Status::Ok();
}

Status StreamEvaluator::Update(std::span<const double> theta) {
  if (const Status s = CheckThetaLength(theta); !s.ok()) return s;
  layout_.term(0).FillLambda(layout_.TermTheta(theta, 0), lambda_.data());
  // A device failure is local: every process still joins the gather (its blocks' flags set to
  // kDeviceFailed) so that none waits forever, and then every process stops with a device status
  // (the others' would otherwise be "not positive definite", an infeasible point, and they would
  // go on to a gather that the failed process never joins).
  constexpr double kDeviceFailed = 2.0;  // a block's flag; 1.0: a cluster not factored
  const int64_t width = 2 + kernels::PackedSize(pieces_.block.w);
  const Status local = ReduceBlocks();
  if (!local.ok()) {
    const int64_t blocks = (pieces_.block.clusters + kClusterBlock - 1) / kClusterBlock;
    reduced_.assign(static_cast<size_t>(blocks * width), 0.0);
    for (int64_t b = 0; b < blocks; ++b)
      reduced_[static_cast<size_t>((b + 1) * width - 1)] = kDeviceFailed;
  }
  const std::vector<double> all = collective_.GatherDoubles(reduced_);
  gpu::ClusterReduction r;
  r.downdate.assign(static_cast<size_t>(width - 2), 0.0);
  bool device_failed = false;
  for (size_t at = 0; at < all.size(); at += static_cast<size_t>(width)) {
    r.logdet += all[at];
    for (int64_t e = 0; e < width - 2; ++e) r.downdate[e] += all[at + 1 + e];
    if (all[at + width - 1] > 0) r.first_failed = 0;
    if (all[at + width - 1] == kDeviceFailed) device_failed = true;
  }
  if (!local.ok()) return local;
  if (device_failed)
    return Status::Error(Status::Code::kDevice, "streamed fit: the GPU of another process failed");
  const Status s = gpu::FinishOneTerm(pieces_.cp, r, &solution_);
  if (!s.ok()) return s;
  TakeSolution(solution_);
  return Status::Ok();
}

Eigen::MatrixXd StreamEvaluator::GatherLevels(const Eigen::MatrixXd& mine) const {
  // Row-major per level so that the processes' shares concatenate in level order.
  const Eigen::Index cols = mine.cols();
  std::vector<double> flat(static_cast<size_t>(mine.size()));
  for (Eigen::Index i = 0; i < mine.rows(); ++i)
    for (Eigen::Index j = 0; j < cols; ++j) flat[static_cast<size_t>(i * cols + j)] = mine(i, j);
  const std::vector<double> all = collective_.GatherDoubles(flat);
  const Eigen::Index rows = static_cast<Eigen::Index>(all.size()) / std::max<Eigen::Index>(cols, 1);
  Eigen::MatrixXd out(rows, cols);
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j) out(i, j) = all[static_cast<size_t>(i * cols + j)];
  return out;
}

Eigen::MatrixXd StreamEvaluator::ConditionalModes(int t) const {
  if (t != 0) return Eigen::MatrixXd();
  return GatherLevels(
      gpu::OneTermModes(pieces_.block.view(), lambda_.data(), solution_.beta_centered));
}

Eigen::MatrixXd StreamEvaluator::ConditionalVariances(int t, double sigma2) const {
  if (t != 0) return Eigen::MatrixXd();
  return GatherLevels(
      gpu::OneTermConditionalVariances(pieces_.block.view(), lambda_.data(), sigma2));
}

}  // namespace lmm::scale
