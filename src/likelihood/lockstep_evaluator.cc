#include "likelihood/lockstep_evaluator.h"

#include <utility>

#include "likelihood/gpu/one_term_modes.h"

namespace lmm {

LockstepEvaluator::LockstepEvaluator(const ModelFrame& frame, LockstepCoordinator& coordinator,
                                     int slot, const gpu::HostClusters& design,
                                     ResponsePieces pieces)
    : Evaluator(frame),
      coordinator_(coordinator),
      slot_(slot),
      design_(design),
      pieces_(std::move(pieces)),
      lambda_(static_cast<size_t>(design.q * design.q), 0.0) {
  coordinator_.Register(slot_, pieces_);
}

Status LockstepEvaluator::Update(std::span<const double> theta) {
  if (const Status s = CheckThetaLength(theta); !s.ok()) return s;
  layout_.term(0).FillLambda(layout_.TermTheta(theta, 0), lambda_.data());
  Status s = coordinator_.Evaluate(slot_, lambda_, &reduction_);
  if (!s.ok()) return s;
  s = gpu::FinishOneTerm(pieces_.finish, reduction_, &solution_);
  if (!s.ok()) return s;
  TakeSolution(solution_);
  return Status::Ok();
}

Eigen::MatrixXd LockstepEvaluator::ConditionalModes(int t) const {
  if (t != 0) return Eigen::MatrixXd();
  const gpu::HostClusters clusters = WithResponse(design_, pieces_);
  return gpu::OneTermModes(clusters.view(), lambda_.data(), solution_.beta_centered);
}

Eigen::MatrixXd LockstepEvaluator::ConditionalVariances(int t, double sigma2) const {
  if (t != 0) return Eigen::MatrixXd();
  // var(b | y) depends on the design only (one_term_modes.h).
  return gpu::OneTermConditionalVariances(design_.view(), lambda_.data(), sigma2);
}

}  // namespace lmm
