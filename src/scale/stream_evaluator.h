// The profiled likelihood of a one-term model from streamed per-cluster pieces (StreamPieces),
// possibly spread over processes: each process eliminates its own clusters
// (gpu::HostClusterPass, the same per-cluster functions as the GPU kernels) in blocks of
// kClusterBlock, the blocks' sums of log|L_c|^2 and P_c P_c' are gathered and added in block order
// (the same bits on every process and for any number of processes), and every process does the
// same small dense finish (gpu::FinishOneTerm) [DESIGN.md sec. 3].
//
// UseDevice() moves the per-cluster part of every evaluation to this process' GPU
// (gpu::DeviceClusters: the same blocks, each reduced by the one-term kernels in their fixed
// order), so that each MPI rank may use its own GPU; the blocks' sums are then gathered and added
// exactly as on the host. Host and device blocks differ only in the order of the sums inside a
// block (rounding); any number of processes on devices still gives the same bits.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "likelihood/evaluator.h"
#include "likelihood/gpu/one_term_host.h"
#include "scale/collective.h"
#include "scale/stream_pieces.h"
#if LMM_HAVE_CUDA
#include "likelihood/gpu/device_clusters.h"
#endif

namespace lmm::scale {

class StreamEvaluator final : public Evaluator {
 public:
  // `frame` is the row-less frame of the streamed model (its terms, names and p); n comes from
  // the pieces. `collective` must outlive the evaluator.
  StreamEvaluator(const ModelFrame& frame, StreamPieces pieces, Collective& collective);
  ~StreamEvaluator() override;

  // Collective (every process calls it): each process evaluates its clusters on its CUDA device
  // (gpu::GpuContext picks it) from now on; or, when any process cannot, none does and the
  // result says why in one line (CUDA not compiled in, no device, short of memory and how much
  // is needed, or another process' failure). Empty on success.
  std::string UseDevice();
  std::optional<DeviceReport> device_report() const override;  // this process' device

  Status Update(std::span<const double> theta) override;
  // All levels on every process (the processes' shares are gathered).
  Eigen::MatrixXd ConditionalModes(int t) const override;
  Eigen::MatrixXd ConditionalVariances(int t, double sigma2) const override;

 private:
  Eigen::MatrixXd GatherLevels(const Eigen::MatrixXd& mine) const;
  std::string UseLocalDevice();
  Status ReduceBlocks();  // this process' blocks into reduced_

  StreamPieces pieces_;
  Collective& collective_;
  std::vector<double> lambda_;
  std::vector<double> reduced_;
  gpu::OneTermSolution solution_;
#if LMM_HAVE_CUDA
  std::unique_ptr<gpu::DeviceClusters> device_;  // after UseDevice()
  std::vector<gpu::ClusterReduction> blocks_;    // the device's block sums
#endif
};

}  // namespace lmm::scale
