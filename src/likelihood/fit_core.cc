#include "likelihood/fit_core.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <thread>

#include "likelihood/start_values.h"
#include "lmm/error.h"
#include "optim/finite_difference.h"

namespace lmm {
namespace {

// lme4's convergence check uses finite differences with delta = 1e-4 (deriv12). When the polish
// ended by differencing at the optimum, its (more accurate, Richardson-extrapolated) derivatives
// are reused instead.
constexpr double kCheckStep = 1e-4;


ConvergenceInfo CheckConvergence(const ObjectiveFunction& f, const OptimizerResult& opt,
                                 const ThetaLayout& layout) {
  ConvergenceInfo c;
  const Derivatives d = opt.derivatives ? *opt.derivatives
                                        : FiniteDifferences(f, opt.x, opt.value, layout.lower(),
                                                            layout.upper(), kCheckStep, true);
  c.gradient = d.gradient;
  c.hessian = d.hessian;
  c.at_bound = d.at_bound;
  c.evaluations = opt.derivatives ? 0 : d.evaluations;
  std::vector<int> free;
  for (int i = 0; i < layout.size(); ++i)
    if (!d.at_bound[i]) {
      free.push_back(i);
      c.max_abs_gradient = std::max(c.max_abs_gradient, std::abs(d.gradient(i)));
    }
  if (!free.empty()) {
    Eigen::MatrixXd h(free.size(), free.size());
    for (size_t a = 0; a < free.size(); ++a)
      for (size_t b = 0; b < free.size(); ++b) h(a, b) = d.hessian(free[a], free[b]);
    c.min_hessian_eigenvalue = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(h).eigenvalues()(0);
  }
  c.singular = layout.IsSingular(opt.x);
  return c;
}

}  // namespace

void CollectEstimates(const Evaluator& ev, const ModelFrame& frame, const FitCoreOptions& options,
                      FitCoreResult& r) {
  const ThetaLayout& layout = ev.layout();
  const bool reml = options.reml;
  r.theta_names = layout.names();
  r.theta_lower = layout.lower();
  r.theta_upper = layout.upper();
  r.objective = ev.Objective(reml);
  r.loglik = -r.objective / 2;
  r.pwrss = ev.pwrss();
  r.logdet_l = ev.logdet_l();
  r.logdet_rx = ev.logdet_rx();
  r.sigma2 = ev.sigma2(reml);
  r.sigma = std::sqrt(r.sigma2);
  r.beta = ev.beta();
  r.rx = ev.rx();
  r.beta_covariance = r.sigma2 * ev.UnscaledFixedCovariance();
  for (int t = 0; t < layout.num_terms(); ++t) {
    TermEstimates te;
    te.group = frame.random[t].group;
    te.names = frame.random[t].names;
    te.relative_covariance = layout.term(t).RelativeCovariance(layout.TermTheta(r.theta, t));
    te.covariance = r.sigma2 * te.relative_covariance;
    if (options.conditional_effects) {
      te.modes = ev.ConditionalModes(t);
      te.conditional_variances = ev.ConditionalVariances(t, r.sigma2);
    }
    r.terms.push_back(std::move(te));
  }
}

std::unique_ptr<Evaluator> CreateEvaluator(const ModelFrame& frame, const FitCoreOptions& options) {
  EvaluatorOptions eopt;
  eopt.backend = options.backend;
  eopt.threads = options.threads;
  Status status;
  std::unique_ptr<Evaluator> ev = Evaluator::Create(frame, eopt, &status);
  if (ev == nullptr) throw Error(ErrorKind::kUsage, status.ToString());
  return ev;
}

FitCoreResult FitCore(const ModelFrame& frame, const FitCoreOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<Evaluator> ev = CreateEvaluator(frame, options);
  FitCoreResult r = FitCore(*ev, frame, options);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

FitCoreResult FitCore(Evaluator& evaluator, const ModelFrame& frame, const FitCoreOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  Evaluator* ev = &evaluator;
  const ThetaLayout& layout = ev->layout();
  const bool reml = options.reml;
  // A theta where the factor is not positive definite is infeasible (+inf); a device failure says
  // nothing about theta and stops the fit with the device's message. The optimizer reports
  // exceptions from the objective as a failed run rather than passing them on, so the failure is
  // also recorded and rethrown after it returns.
  std::string device_error;
  PiecesByTheta evaluated;
  const ObjectiveFunction objective = [&](std::span<const double> theta) {
    const Status s = ev->Update(theta);
    if (s.code() == Status::Code::kDevice) {
      device_error = "fit: the GPU failed: " + s.ToString();
      throw Error(ErrorKind::kNumerical, device_error);
    }
    if (!s.ok()) return std::numeric_limits<double>::infinity();
    evaluated.emplace(std::vector<double>(theta.begin(), theta.end()),
                      ObjectivePieces{ev->logdet_l(), ev->logdet_rx(), ev->pwrss()});
    return ev->Objective(reml);
  };

  std::vector<double> start = options.start.value_or(layout.start());
  if (static_cast<int>(start.size()) != layout.size())
    throw UsageError("fit: the start value of theta has " + std::to_string(start.size()) +
                     " values; the model has " + std::to_string(layout.size()));
  bool start_ok = false;
  if (!options.start) {
    const std::optional<std::vector<double>> moments = MomentStart(frame, layout);
    if (moments && std::isfinite(objective(*moments))) start = *moments, start_ok = true;
  }
  if (!start_ok && !std::isfinite(objective(start)))
    throw Error(ErrorKind::kNumerical,
                "fit: the objective cannot be evaluated at the start of "
                "theta (is X of full column rank?)");

  FitCoreResult r;
  r.reml = reml;
  r.n = ev->n();
  r.p = ev->p();
  OptimizerOptions optimizer = options.optimizer;
  if (start_ok) optimizer.initial_step = std::min(optimizer.initial_step, kMomentStartStep);
  r.optimizer = MinimizeBobyqa(objective, start, layout.lower(), layout.upper(), optimizer);
  if (!device_error.empty()) throw Error(ErrorKind::kNumerical, device_error);
  r.convergence = CheckConvergence(objective, r.optimizer, layout);

  const Status s = ev->Update(r.optimizer.x);
  if (!s.ok()) throw Error(ErrorKind::kNumerical, "fit: at the optimum: " + s.ToString());
  r.theta = r.optimizer.x;
  CollectEstimates(*ev, frame, options, r);
  r.evaluated = std::move(evaluated);
  r.threads = options.threads > 0
                  ? options.threads
                  : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace lmm
