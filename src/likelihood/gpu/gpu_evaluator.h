// CUDA backend of the profiled likelihood for models with one random-effect term (one grouping
// factor: the "huge clustered data" case; DESIGN.md sec. 3 and 5). Create() is the GPU factory:
// it hands models with several terms (or p + 1 > kMaxClusterW) to GpuMultiTermEvaluator
// (gpu_multi_evaluator.h) and refuses what neither supports (GpuModelUnsupportedReason) with a
// kUnsupported status, so that --backend auto falls back to the CPU.
//
// Create(): the per-cluster cross-products are formed once and stay resident. Below
// gpu::kDeviceRowPassMinRows rows (or with RowPassWhere::kHost) the CPU backend's
// (cpu::BuildCrossProducts) are packed per cluster (cluster_pack.h) and uploaded; from there on
// the device forms them from the frame's rows (gpu_row_pass.h: chunked, pinned, overlapped
// upload; the same centers), and the host copy that ConditionalModes needs is downloaded once at
// the end of that pass. LMMGPU_ROW_PASS=host|device in the environment overrides kAuto.
// Update(theta): Lambda (q x q doubles) goes to the device, two launches (kernels/
// cluster_kernels.h) factor every cluster and reduce log|L|^2 and sum_c P_c P_c' in a fixed
// order, (p+1)(p+2)/2 + 1 doubles come back and the (p+1) x (p+1) finish runs on the host
// (one_term_host.h). Nothing of size n or of size clusters crosses PCIe per evaluation.
// ConditionalModes/Variances back-substitute on the host from the host copy (one_term_modes.h).
//
// Plain C++ header (the CUDA state is behind Device, defined in gpu_evaluator.cc).
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "likelihood/cpu/cross_products.h"
#include "likelihood/evaluator.h"
#include "likelihood/gpu/cluster_pack.h"
#include "likelihood/gpu/gpu_probe.h"
#include "likelihood/gpu/one_term_host.h"
#include "likelihood/gpu/row_pass_host.h"

namespace lmm {

class GpuEvaluator final : public Evaluator {
 public:
  // Returns nullptr and sets *status (not null) when the model is not supported, no device is
  // usable, or device memory is short. Throws lmm::Error as cpu::BuildCrossProducts does.
  static std::unique_ptr<Evaluator> Create(const ModelFrame& frame, const EvaluatorOptions& options,
                                           Status* status);
  // The checks of ProbeGpuBackend (gpu_probe.h) for a CUDA build.
  static GpuProbe Probe(const ModelFrame& frame);
  // The one-term evaluator with the one-time pass where `row_pass` says (tests, benchmarks).
  // Requires UsesOneTermKernels(frame) and an empty GpuModelUnsupportedReason(frame).
  static std::unique_ptr<GpuEvaluator> CreateOneTerm(const ModelFrame& frame,
                                                     const gpu::RowPassOptions& row_pass,
                                                     Status* status);
  ~GpuEvaluator() override;

  Status Update(std::span<const double> theta) override;
  Eigen::MatrixXd ConditionalModes(int t) const override;
  Eigen::MatrixXd ConditionalVariances(int t, double sigma2) const override;

  // For tests: what the device reduced at the last Update, and the packed host copy.
  const gpu::ClusterReduction& reduction() const { return reduction_; }
  const gpu::HostClusters& clusters() const { return host_; }
  // Where and how the one-time pass ran: time, chunks, device and pinned bytes.
  const gpu::RowPassStats& row_pass() const { return row_pass_; }
  const std::string& device_name() const;
  std::optional<DeviceReport> device_report() const override;

 private:
  struct Device;
  explicit GpuEvaluator(const ModelFrame& frame);
  Status Init(const ModelFrame& frame, const gpu::RowPassOptions& row_pass);
  Status InitFromHostPass(const ModelFrame& frame);
  Status InitFromDevicePass(const ModelFrame& frame, const gpu::RowPassOptions& row_pass);
  Status AllocateEvaluationBuffers();

  std::unique_ptr<Device> dev_;
  cpu::CrossProducts cp_;  // [X y]'[X y] and the centering; per-level arrays released
  gpu::HostClusters host_;
  std::vector<double> lambda_;  // q x q at the last Update
  gpu::ClusterReduction reduction_;
  gpu::OneTermSolution solution_;
  gpu::RowPassStats row_pass_;
};

}  // namespace lmm
