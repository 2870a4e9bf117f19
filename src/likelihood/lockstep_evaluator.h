// The Evaluator one lock-step fit runs on (lockstep_coordinator.h): Update(theta) hands Lambda to
// the coordinator, blocks until the group's batched evaluation returns this response's reduction,
// and runs the (p+1) x (p+1) finish on the host (gpu::FinishOneTerm), as GpuEvaluator does for a
// single response. Conditional modes and variances are back-substituted on the host from the
// design and this response's pieces (gpu/one_term_modes.h).
#pragma once

#include <span>
#include <vector>

#include "likelihood/evaluator.h"
#include "likelihood/gpu/cluster_pack.h"
#include "likelihood/gpu/one_term_host.h"
#include "likelihood/lockstep_coordinator.h"
#include "likelihood/response_batch.h"

namespace lmm {

class LockstepEvaluator final : public Evaluator {
 public:
  // `frame`: this response's frame (one random-effect term); `design`: the packed shared design
  // (outlives the evaluator); registers `pieces` with the coordinator for `slot`.
  LockstepEvaluator(const ModelFrame& frame, LockstepCoordinator& coordinator, int slot,
                    const gpu::HostClusters& design, ResponsePieces pieces);

  Status Update(std::span<const double> theta) override;
  Eigen::MatrixXd ConditionalModes(int t) const override;
  Eigen::MatrixXd ConditionalVariances(int t, double sigma2) const override;

  const gpu::ClusterReduction& reduction() const { return reduction_; }

 private:
  LockstepCoordinator& coordinator_;
  int slot_;
  const gpu::HostClusters& design_;
  ResponsePieces pieces_;
  std::vector<double> lambda_;  // q x q at the last Update
  gpu::ClusterReduction reduction_;
  gpu::OneTermSolution solution_;
};

}  // namespace lmm
