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

Status StreamEvaluator::Update(std::span<const double> theta) {
  if (static_cast<int>(theta.size()) != layout_.size())
    return Status::Error(Status::Code::kInvalidArgument, "evaluator: theta has the wrong length");
  layout_.term(0).FillLambda(layout_.TermTheta(theta, 0), lambda_.data());
  // Per block of kClusterBlock clusters (this process' share starts at a block boundary): logdet,
  // the packed downdate and a failure flag; all blocks gathered and added in block order.
  const gpu::HostClusters& h = pieces_.block;
  const int64_t width = 2 + kernels::PackedSize(h.w);
  reduced_.clear();
  for (int64_t b = 0; b < h.clusters; b += kClusterBlock) {
    const gpu::ClusterReduction part =
        gpu::HostClusterPass(h.view(), lambda_.data(), b, std::min(h.clusters, b + kClusterBlock));
    reduced_.push_back(part.logdet);
    reduced_.insert(reduced_.end(), part.downdate.begin(), part.downdate.end());
    reduced_.push_back(part.first_failed >= 0 ? 1.0 : 0.0);
  }
  const std::vector<double> all = collective_.GatherDoubles(reduced_);
  gpu::ClusterReduction r;
  r.downdate.assign(static_cast<size_t>(width - 2), 0.0);
  for (size_t at = 0; at < all.size(); at += static_cast<size_t>(width)) {
    r.logdet += all[at];
    for (int64_t e = 0; e < width - 2; ++e) r.downdate[e] += all[at + 1 + e];
    if (all[at + width - 1] > 0) r.first_failed = 0;
  }
  const Status s = gpu::FinishOneTerm(pieces_.cp, r, &solution_);
  if (!s.ok()) return s;
  logdet_l_ = solution_.logdet_l;
  logdet_rx_ = solution_.logdet_rx;
  pwrss_ = solution_.pwrss;
  beta_ = solution_.beta;
  rx_ = solution_.rx;
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
