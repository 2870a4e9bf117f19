#include "likelihood/residual/residual_fit.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <thread>

#include "likelihood/residual/residual_evaluator.h"
#include "lmm/error.h"
#include "optim/finite_difference.h"

#if LMM_HAVE_CUDA
#include "likelihood/gpu/gpu_residual_evaluator.h"
#endif

namespace lmm {
namespace {

// lme4's convergence check step (deriv12), as FitCore.
constexpr double kCheckStep = 1e-4;

// A device failure says nothing about (theta, u): it stops the fit with the device's message
// (as FitCore). The optimizer reports exceptions from the objective as a failed run, so the
// message is also kept and rethrown after it returns.
void ThrowIfDevice(const Status& s, std::string& device_error) {
  if (s.code() != Status::Code::kDevice) return;
  device_error = "fit: the GPU failed: " + s.ToString();
  throw Error(ErrorKind::kNumerical, device_error);
}

// The fit on either backend's evaluator; `ev` is left at the optimum.
ResidualFitCoreResult FitOn(WhitenedEvaluator& evaluator, const ModelFrame& frame,
                            residual::ResidualStructure& structure, const FitCoreOptions& options) {
  WhitenedEvaluator* ev = &evaluator;
  const ThetaLayout& layout = ev->layout();
  const int k = layout.size();
  const int s = structure.size();
  const bool reml = options.reml;

  // x = [theta, u]; re-whiten only when u changes (coordinate-wise differencing in theta reuses
  // the whitened cross-products).
  std::string device_error;
  std::vector<double> current_u;
  bool valid_u = false;
  const ObjectiveFunction objective = [&](std::span<const double> x) {
    const std::span<const double> u = x.subspan(static_cast<size_t>(k));
    if (current_u.size() != u.size() || !std::equal(u.begin(), u.end(), current_u.begin())) {
      current_u.assign(u.begin(), u.end());
      const Status su = ev->SetResidualParameters(u);
      ThrowIfDevice(su, device_error);
      valid_u = su.ok();
    }
    if (!valid_u) return std::numeric_limits<double>::infinity();
    const Status st = ev->Update(x.subspan(0, static_cast<size_t>(k)));
    ThrowIfDevice(st, device_error);
    return st.ok() ? ev->Objective(reml) : std::numeric_limits<double>::infinity();
  };

  std::vector<double> start = options.start.value_or(layout.start());
  const std::vector<double> u_start = structure.Start();
  start.insert(start.end(), u_start.begin(), u_start.end());
  std::vector<double> lower = layout.lower(), upper = layout.upper();
  const std::vector<double> u_lower = structure.Lower(), u_upper = structure.Upper();
  lower.insert(lower.end(), u_lower.begin(), u_lower.end());
  upper.insert(upper.end(), u_upper.begin(), u_upper.end());
  const double start_value = objective(start);
  if (!device_error.empty()) throw Error(ErrorKind::kNumerical, device_error);
  if (!std::isfinite(start_value))
    throw Error(ErrorKind::kNumerical,
                "fit: the objective cannot be evaluated at the start (is X of full column rank?)");

  ResidualFitCoreResult out;
  FitCoreResult& r = out.core;
  r.reml = reml;
  r.n = ev->n();
  r.p = ev->p();
  r.optimizer = MinimizeBobyqa(objective, start, lower, upper, options.optimizer);
  if (!device_error.empty()) throw Error(ErrorKind::kNumerical, device_error);

  ConvergenceInfo& c = r.convergence;
  const Derivatives d = r.optimizer.derivatives
                            ? *r.optimizer.derivatives
                            : FiniteDifferences(objective, r.optimizer.x, r.optimizer.value, lower,
                                                upper, kCheckStep, true);
  if (!device_error.empty()) throw Error(ErrorKind::kNumerical, device_error);
  c.gradient = d.gradient;
  c.hessian = d.hessian;
  c.at_bound = d.at_bound;
  c.evaluations = r.optimizer.derivatives ? 0 : d.evaluations;
  std::vector<int> free;
  for (int i = 0; i < k + s; ++i)
    if (!d.at_bound[static_cast<size_t>(i)]) {
      free.push_back(i);
      c.max_abs_gradient = std::max(c.max_abs_gradient, std::abs(d.gradient(i)));
    }
  if (!free.empty()) {
    const auto f = static_cast<Eigen::Index>(free.size());
    Eigen::MatrixXd h(f, f);
    for (Eigen::Index a = 0; a < f; ++a)
      for (Eigen::Index b = 0; b < f; ++b) h(a, b) = d.hessian(free[a], free[b]);
    c.min_hessian_eigenvalue = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(h).eigenvalues()(0);
  }
  const std::vector<double>& x = r.optimizer.x;
  r.theta.assign(x.begin(), x.begin() + k);
  out.u.assign(x.begin() + k, x.end());
  out.u_lower = u_lower;
  out.u_upper = u_upper;
  c.singular = layout.IsSingular(r.theta);

  Status at_optimum = ev->SetResidualParameters(out.u);
  if (at_optimum.ok()) at_optimum = ev->Update(r.theta);
  if (at_optimum.code() == Status::Code::kDevice)
    throw Error(ErrorKind::kNumerical, "fit: the GPU failed: " + at_optimum.ToString());
  if (!at_optimum.ok())
    throw Error(ErrorKind::kNumerical, "fit: the objective cannot be evaluated at the optimum");
  CollectEstimates(*ev, frame, options, r);
  r.threads = options.threads > 0
                  ? options.threads
                  : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return out;
}

}  // namespace

ResidualFitCoreResult FitResidualCore(const ModelFrame& frame, const residual::Clusters& clusters,
                                      residual::ResidualStructure& structure,
                                      const FitCoreOptions& options,
                                      std::unique_ptr<WhitenedEvaluator>* evaluator) {
  const auto t0 = std::chrono::steady_clock::now();
  EvaluatorOptions eopt;
  eopt.backend = Backend::kCpu;
  eopt.threads = options.threads;
  ResidualFitCoreResult out;
  if (options.backend == Backend::kGpu) {
#if LMM_HAVE_CUDA
    Status status;
    std::unique_ptr<GpuResidualEvaluator> gpu =
        GpuResidualEvaluator::Create(frame, clusters, structure, &status);
    if (gpu == nullptr) {
      if (status.code() == Status::Code::kDevice)
        throw Error(ErrorKind::kNumerical, "fit: the GPU failed: " + status.ToString());
      throw UsageError("--backend gpu: " + status.ToString());
    }
    out = FitOn(*gpu, frame, structure, options);
    out.backend = Backend::kGpu;
    if (evaluator != nullptr) *evaluator = std::move(gpu);
#else
    throw UsageError("--backend gpu: this build has no CUDA backend");
#endif
  } else {
    auto ev = std::make_unique<ResidualEvaluator>(frame, clusters, structure, eopt);
    out = FitOn(*ev, frame, structure, options);
    if (evaluator != nullptr) *evaluator = std::move(ev);
  }
  out.core.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace lmm
