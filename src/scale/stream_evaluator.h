// The profiled likelihood of a one-term model from streamed per-cluster pieces (StreamPieces),
// possibly spread over processes: each process eliminates its own clusters
// (gpu::HostClusterPass, the same per-cluster functions as the GPU kernels) in blocks of
// kClusterBlock, the blocks' sums of log|L_c|^2 and P_c P_c' are gathered and added in block order
// (the same bits on every process and for any number of processes), and every process does the
// same small dense finish (gpu::FinishOneTerm) [DESIGN.md sec. 3].
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "likelihood/evaluator.h"
#include "likelihood/gpu/one_term_host.h"
#include "scale/collective.h"
#include "scale/stream_pieces.h"

namespace lmm::scale {

class StreamEvaluator final : public Evaluator {
 public:
  // `frame` is the row-less frame of the streamed model (its terms, names and p); n comes from
  // the pieces. `collective` must outlive the evaluator.
  StreamEvaluator(const ModelFrame& frame, StreamPieces pieces, Collective& collective);

  Status Update(std::span<const double> theta) override;
  // All levels on every process (the processes' shares are gathered).
  Eigen::MatrixXd ConditionalModes(int t) const override;
  Eigen::MatrixXd ConditionalVariances(int t, double sigma2) const override;

 private:
  Eigen::MatrixXd GatherLevels(const Eigen::MatrixXd& mine) const;

  StreamPieces pieces_;
  Collective& collective_;
  std::vector<double> lambda_;
  std::vector<double> reduced_;
  gpu::OneTermSolution solution_;
};

}  // namespace lmm::scale
