#include "likelihood/evaluator.h"

#include "likelihood/cpu/cpu_evaluator.h"
#include "likelihood/objective.h"
#include "lmm/error.h"

namespace lmm {

std::unique_ptr<Evaluator> Evaluator::Create(const ModelFrame& frame,
                                             const EvaluatorOptions& options, Status* status) {
  if (status != nullptr) *status = Status::Ok();
  switch (options.backend) {
    case Backend::kCpu:
      return std::make_unique<CpuEvaluator>(frame, options);
    case Backend::kGpu: {
      const Status unsupported =
          Status::Error(Status::Code::kUnsupported, "evaluator: the GPU backend is not available");
      if (status == nullptr) throw UsageError(unsupported.ToString());
      *status = unsupported;
      return nullptr;
    }
  }
  return nullptr;
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
