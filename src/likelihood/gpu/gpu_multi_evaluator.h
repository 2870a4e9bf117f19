// CUDA backend of the profiled likelihood for models with several random-effect terms (crossed or
// nested) -- and one-term models wider than the one-term kernels take. It mirrors the CPU
// evaluator (likelihood/cpu/cpu_evaluator.h) step for step [DESIGN.md sec. 3; Bates, Alday &
// Kokandakar 2025, sec. 3]:
//  1. per level of block 0 (the term with the most levels), L_c and P_c (kernels/level_kernels.h);
//  2. S = Lambda_r' A Lambda_r + diag(I, 0) - sum_c E_c P_c P_c' E_c', the scatter done per column
//     of S from lists built once on the host, in level order (no atomics: reproducible);
//  3. cuSOLVER's dense Cholesky (64-bit API cusolverDnXpotrf, FP64, lower) of S;
//  4. log|L|^2 reduced on the device; the trailing (p+1) x (p+1) block of L_S comes back and the
//     host finishes R_X, beta and pwrss (multi_term_host.h).
// Create(): the CPU backend's cross-products are built first (one pass over the data, the same
// cross-products and centering); with m <= cpu::kMaxDenseRest they go into a CPU evaluator kept
// as the host mirror. They and the lists of level_pack.h are uploaded once and stay resident. Per
// Update only the Lambda templates go down and (p+1)^2 + 3 numbers come back.
// ConditionalModes/Variances (once per fit, when asked for) run on the host mirror, updated at the
// last theta: the CPU evaluator's back-substitutions. Models past the CPU's dense limit (up to
// cpu::kMaxGpuDenseRest, as device memory allows: a MovieLens ml-32m-shaped crossed model needs
// 114 GB for A and S) have no mirror: they are fitted, and asking for their modes is an error.
//
// Plain C++ header (the CUDA state is behind Device, defined in gpu_multi_evaluator.cc).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "likelihood/cpu/cpu_evaluator.h"
#include "likelihood/evaluator.h"
#include "likelihood/gpu/level_pack.h"
#include "likelihood/gpu/one_term_host.h"

namespace lmm {
namespace gpu {

// What the device holds after each step of one evaluation (tests of the kernels).
struct DeviceSnapshot {
  std::vector<double> panels;           // P_c after step 1
  std::vector<double> level_logdet;     // 2 log det L_c (0 where L_c failed)
  std::vector<unsigned char> level_ok;  // 1 where L_c was formed
  Eigen::MatrixXd s;                    // S after step 2 (upper triangle zero)
  Eigen::MatrixXd factor;               // after step 3 (cuSOLVER's potrf, lower)
  double logdet = 0;                    // step 4
  long long failed = -1;                // step 4
  int info = 0;                         // potrf's info
};

}  // namespace gpu

class GpuMultiTermEvaluator final : public Evaluator {
 public:
  // Returns nullptr and sets *status (not null) when no device is usable, device memory is short
  // or a device call fails. Throws lmm::Error as the CPU evaluator's constructor does. The caller
  // has checked GpuModelUnsupportedReason.
  static std::unique_ptr<Evaluator> Create(const ModelFrame& frame, const EvaluatorOptions& options,
                                           Status* status);
  ~GpuMultiTermEvaluator() override;

  Status Update(std::span<const double> theta) override;
  Eigen::MatrixXd ConditionalModes(int t) const override;
  Eigen::MatrixXd ConditionalVariances(int t, double sigma2) const override;

  // For tests: the cross-products and the lists, and the device name.
  const cpu::CrossProducts& cross_products() const {
    return cpu_ != nullptr ? cpu_->cross_products() : own_cp_;
  }
  const gpu::HostLevels& levels() const { return host_; }
  const std::string& device_name() const;
  std::optional<DeviceReport> device_report() const override;
  // For tests: one evaluation at theta with every intermediate downloaded (does not change what
  // the queries return).
  Status Snapshot(std::span<const double> theta, gpu::DeviceSnapshot* out);
  // Device memory held (bytes), cuSOLVER's workspace included.
  int64_t device_bytes() const { return device_bytes_; }

 private:
  struct Device;
  GpuMultiTermEvaluator(const ModelFrame& frame, const EvaluatorOptions& options);
  Status Init();
  Status LaunchPass(std::span<const double> theta);
  Status LaunchFactor();
  // The mirror at the last successful Update's theta (lazily; once per fit).
  const CpuEvaluator& Mirror() const;

  std::unique_ptr<Device> dev_;
  std::unique_ptr<CpuEvaluator> cpu_;  // host mirror (modes, variances); m <= kMaxDenseRest only
  cpu::CrossProducts own_cp_;          // the cross-products when there is no mirror
  gpu::HostLevels host_;
  int lambda_size_ = 0;         // q0^2 + rest templates
  std::vector<double> lambda_;  // lambda0 then the rest templates (host_.rest_offset)
  std::vector<double> theta_;   // last successful Update
  Eigen::MatrixXd trailing_;    // (p+1) x (p+1) block of L_S as downloaded
  gpu::OneTermSolution solution_;
  int64_t device_bytes_ = 0;
  mutable bool mirror_current_ = false;
};

}  // namespace lmm
