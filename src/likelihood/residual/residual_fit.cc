#include "likelihood/residual/residual_fit.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "lmm/error.h"
#include "optim/finite_difference.h"

namespace lmm {
namespace {

// lme4's convergence check step (deriv12), as FitCore.
constexpr double kCheckStep = 1e-4;

}  // namespace

ResidualFitCoreResult FitResidualCore(const ModelFrame& frame, const residual::Clusters& clusters,
                                      residual::ResidualStructure& structure,
                                      const FitCoreOptions& options,
                                      std::unique_ptr<ResidualEvaluator>* evaluator) {
  const auto t0 = std::chrono::steady_clock::now();
  if (options.backend != Backend::kCpu)
    throw UsageError("--residuals: only the CPU backend fits residual structures");
  EvaluatorOptions eopt;
  eopt.backend = Backend::kCpu;
  eopt.threads = options.threads;
  auto ev = std::make_unique<ResidualEvaluator>(frame, clusters, structure, eopt);
  const ThetaLayout& layout = ev->layout();
  const int k = layout.size();
  const int s = structure.size();
  const bool reml = options.reml;

  // x = [theta, u]; re-whiten only when u changes (coordinate-wise differencing in theta reuses
  // the whitened cross-products).
  std::vector<double> current_u;
  bool valid_u = false;
  const ObjectiveFunction objective = [&](std::span<const double> x) {
    const std::span<const double> u = x.subspan(static_cast<size_t>(k));
    if (current_u.size() != u.size() || !std::equal(u.begin(), u.end(), current_u.begin())) {
      current_u.assign(u.begin(), u.end());
      valid_u = ev->SetResidualParameters(u).ok();
    }
    if (!valid_u) return std::numeric_limits<double>::infinity();
    const Status st = ev->Update(x.subspan(0, static_cast<size_t>(k)));
    return st.ok() ? ev->Objective(reml) : std::numeric_limits<double>::infinity();
  };

  std::vector<double> start = options.start.value_or(layout.start());
  const std::vector<double> u_start = structure.Start();
  start.insert(start.end(), u_start.begin(), u_start.end());
  std::vector<double> lower = layout.lower(), upper = layout.upper();
  const std::vector<double> u_lower = structure.Lower(), u_upper = structure.Upper();
  lower.insert(lower.end(), u_lower.begin(), u_lower.end());
  upper.insert(upper.end(), u_upper.begin(), u_upper.end());
  if (!std::isfinite(objective(start)))
    throw Error(ErrorKind::kNumerical,
                "fit: the objective cannot be evaluated at the start (is X of full column rank?)");

  ResidualFitCoreResult out;
  FitCoreResult& r = out.core;
  r.reml = reml;
  r.n = ev->n();
  r.p = ev->p();
  r.optimizer = MinimizeBobyqa(objective, start, lower, upper, options.optimizer);

  ConvergenceInfo& c = r.convergence;
  const Derivatives d = r.optimizer.derivatives
                            ? *r.optimizer.derivatives
                            : FiniteDifferences(objective, r.optimizer.x, r.optimizer.value, lower,
                                                upper, kCheckStep, true);
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

  if (!ev->SetResidualParameters(out.u).ok() || !ev->Update(r.theta).ok())
    throw Error(ErrorKind::kNumerical, "fit: the objective cannot be evaluated at the optimum");
  CollectEstimates(*ev, frame, options, r);
  r.threads = options.threads > 0
                  ? options.threads
                  : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (evaluator != nullptr) *evaluator = std::move(ev);
  return out;
}

}  // namespace lmm
