// CUDA backend of ResidualEvaluator (likelihood/residual/residual_evaluator.h) for models with one
// random-effect term whose levels are the residual clusters (the longitudinal case: repeated
// measures within subjects, a random intercept per subject). Same interface and mathematics:
//   -2 l(theta, u) = -2 l_white(theta) + sum_c log|R_c|,  logdet_l() = log|L|^2 + sum_c log|R_c|.
//
// Create(): the rows of [Z X y] in cluster order, the cluster offsets and per-cluster pattern
// index (residual_pack.h) go to the device once and stay there.
// SetResidualParameters(u): the pattern factors L^{-1} (one per distinct covariance pattern:
// O(patterns m^2) doubles, one pattern for balanced data) and the centering shift go down; one
// thread per cluster whitens its rows and writes D_c, G_c in place in the resident ClusterView
// arrays; [X~ y~]'[X~ y~] is reduced in a fixed order ((p+1)(p+2)/2 doubles come back)
// (kernels/whiten_kernels.h). log|R| is summed on the host in the CPU's order.
// Update(theta): exactly GpuEvaluator::Update on those arrays (kernels/cluster_kernels.h, then the
// host finish one_term_host.h).
// ConditionalModes/Variances: the cluster arrays are downloaded once per u (lazily) and
// back-substituted on the host (one_term_modes.h).
//
// Plain C++ header (the CUDA state is behind Device, defined in gpu_residual_evaluator.cc).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "likelihood/cpu/cross_products.h"
#include "likelihood/evaluator.h"
#include "likelihood/residual/whitened_evaluator.h"
#include "likelihood/gpu/gpu_probe.h"
#include "likelihood/gpu/one_term_host.h"
#include "likelihood/gpu/residual_pack.h"
#include "residual/clusters.h"
#include "residual/residual_structure.h"

namespace lmm {

class GpuResidualEvaluator final : public WhitenedEvaluator {
 public:
  // Returns nullptr and sets *status (not null) with kUnsupported when the model is not one the
  // path takes (gpu::ResidualGpuUnsupportedReason), no device is usable, or device memory is
  // short. `frame`, `clusters` and `structure` must outlive the evaluator.
  static std::unique_ptr<GpuResidualEvaluator> Create(const ModelFrame& frame,
                                                      const residual::Clusters& clusters,
                                                      residual::ResidualStructure& structure,
                                                      Status* status);
  // Device, model and memory checks of Create, without allocating.
  static GpuProbe Probe(const ModelFrame& frame, const residual::Clusters& clusters);
  ~GpuResidualEvaluator() override;

  // As ResidualEvaluator::SetResidualParameters; a CUDA failure is a kDevice status.
  Status SetResidualParameters(std::span<const double> u) override;
  Status Update(std::span<const double> theta) override;
  Eigen::MatrixXd ConditionalModes(int t) const override;
  Eigen::MatrixXd ConditionalVariances(int t, double sigma2) const override;

  double logdet_r() const override { return logdet_r_; }
  const std::vector<double>& residual_parameters() const override { return u_; }

  // For tests: [X~ y~]'[X~ y~] (packed) at the last u, the centering applied, the last reduction,
  // and the whitened cluster arrays (downloaded).
  const std::vector<double>& whitened_a() const { return a_packed_; }
  const cpu::CenteringInfo& centering() const { return cp_.centering; }
  const gpu::ClusterReduction& reduction() const { return reduction_; }
  const gpu::HostClusters& clusters() const;
  const std::string& device_name() const;
  std::optional<DeviceReport> device_report() const override;

 private:
  struct Device;
  GpuResidualEvaluator(const ModelFrame& frame, const residual::Clusters& clusters,
                       residual::ResidualStructure& structure);
  Status Init();
  Status Download() const;  // host_ <- the device's cluster arrays

  const ModelFrame& frame_;
  const residual::Clusters& clusters_;
  residual::ResidualStructure& structure_;
  std::unique_ptr<Device> dev_;
  gpu::ResidualPatterns patterns_;
  gpu::HostResidualRows rows_;  // the resident data's host layout (rows released after upload)
  gpu::PatternFactors factors_;
  cpu::CenteringInfo original_centering_;  // applied when every L^{-1} is the identity
  cpu::CrossProducts cp_;                  // p, a ((p+1) x (p+1)) and centering for the finish
  std::vector<double> u_;
  std::vector<double> shift_;
  std::vector<double> a_packed_;
  bool whitened_ = false;
  double logdet_r_ = 0;
  std::vector<double> lambda_;
  gpu::ClusterReduction reduction_;
  gpu::OneTermSolution solution_;
  mutable gpu::HostClusters host_;  // the cluster arrays at the last u, when downloaded
  mutable bool host_valid_ = false;
};

}  // namespace lmm
