#include "scale/stream_evaluator.h"

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
  const gpu::HostClusters& h = pieces_.block;
  gpu::ClusterReduction r = gpu::HostClusterPass(h.view(), lambda_.data(), 0, h.clusters);
  // One vector per process: logdet, the packed downdate, and the first failed cluster (global
  // index, or +inf) as a failure flag; summed identically everywhere.
  reduced_.assign(1, r.logdet);
  reduced_.insert(reduced_.end(), r.downdate.begin(), r.downdate.end());
  reduced_.push_back(r.first_failed >= 0 ? 1.0 : 0.0);
  collective_.SumIdentical(reduced_);
  r.logdet = reduced_[0];
  r.downdate.assign(reduced_.begin() + 1, reduced_.end() - 1);
  r.first_failed = reduced_.back() > 0 ? 0 : -1;
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
