#include "likelihood/evaluator.h"

#include "likelihood/cpu/cpu_evaluator.h"
#include "likelihood/gpu/gpu_probe.h"
#include "likelihood/objective.h"
#include "lmm/error.h"

#if LMM_HAVE_CUDA
#include "likelihood/gpu/gpu_evaluator.h"
#endif

namespace lmm {

std::unique_ptr<Evaluator> Evaluator::Create(const ModelFrame& frame,
                                             const EvaluatorOptions& options, Status* status) {
  if (status != nullptr) *status = Status::Ok();
  switch (options.backend) {
    case Backend::kCpu:
      return std::make_unique<CpuEvaluator>(frame, options);
    case Backend::kGpu: {
#if LMM_HAVE_CUDA
      Status unsupported;
      std::unique_ptr<Evaluator> gpu = GpuEvaluator::Create(frame, options, &unsupported);
      if (gpu != nullptr) return gpu;
#else
      const Status unsupported =
          Status::Error(Status::Code::kUnsupported, "evaluator: this build has no CUDA backend");
#endif
      if (status == nullptr) throw UsageError(unsupported.ToString());
      *status = unsupported;
      return nullptr;
    }
  }
  return nullptr;
}

GpuProbe ProbeGpuBackend(const ModelFrame& frame) {
#if LMM_HAVE_CUDA
  return GpuEvaluator::Probe(frame);
#else
  GpuProbe probe;
  probe.reason =
      "this build has no CUDA backend (rebuild on a machine with the CUDA toolkit and "
      "-DLMM_ENABLE_CUDA=ON)";
  return probe;
#endif
}

double Evaluator::Objective(bool reml) const {
  return ProfiledObjective(logdet_l_, logdet_rx_, pwrss_, n_, p_, reml);
}

double Evaluator::sigma2(bool reml) const { return ProfiledSigma2(pwrss_, n_, p_, reml); }

Eigen::MatrixXd Evaluator::UnscaledFixedCovariance() const {
  const Eigen::MatrixXd rinv =
      rx_.triangularView<Eigen::Upper>().solve(Eigen::MatrixXd::Identity(p_, p_));
  return rinv * rinv.transpose();
}

}  // namespace lmm
