// Fits a linear mixed model by ML or REML: BOBYQA (+ Newton polish) over theta on the profiled
// objective of an Evaluator, then the estimates at the optimum and an lme4-style convergence check.
// Reporting (SEs of variance components, text, JSON) is built on top of this.
#pragma once

#include <Eigen/Dense>
#include <optional>
#include <string>
#include <vector>

#include "likelihood/evaluator.h"
#include "lmm/model_frame.h"
#include "optim/bobyqa.h"

namespace lmm {

// BOBYQA's initial trust-region radius from a moment start (FitCore's own, or one a caller
// passes as `start`, e.g. the streamed fit's). lme4's 0.2 suits its start at theta = 1, far from
// most optima; the moment estimates are consistent, off the optimum by about their sampling
// error, and a radius of 0.05 saves a third of InstEval's evaluations (77 -> 51; 0.03-0.07 give
// 49-66 there; the reference suites' total drops by a fifth).
inline constexpr double kMomentStartStep = 0.05;

struct FitCoreOptions {
  bool reml = true;
  int threads = 0;  // 0: hardware concurrency
  Backend backend = Backend::kCpu;
  OptimizerOptions optimizer;
  std::optional<std::vector<double>> start;  // theta start (theta order); default lme4's
  bool conditional_effects = true;  // compute the modes b and var(b | y) per level (else empty)
};

// One random-effect term's estimates, in ModelFrame order.
struct TermEstimates {
  std::string group;
  std::vector<std::string> names;         // the term's columns
  Eigen::MatrixXd relative_covariance;    // Lambda Lambda' = Sigma_t / sigma^2
  Eigen::MatrixXd covariance;             // Sigma_t
  Eigen::MatrixXd modes;                  // levels x q: conditional modes b (lme4's ranef)
  Eigen::MatrixXd conditional_variances;  // levels x q*q (column-major per level); may be empty
};

// lme4-style convergence diagnostics at the optimum (finite differences of the objective).
struct ConvergenceInfo {
  Eigen::VectorXd gradient;  // theta order; one-sided at bounds
  Eigen::MatrixXd hessian;
  std::vector<bool> at_bound;
  double max_abs_gradient = 0;        // over the coordinates not at a bound
  double min_hessian_eigenvalue = 0;  // of the Hessian restricted to those coordinates
  bool singular = false;              // lme4's isSingular(tol = 1e-4)
  int evaluations = 0;  // spent by the check itself: 0 when the polish's derivatives are reused
};

struct FitCoreResult {
  bool reml = true;
  int64_t n = 0;
  int p = 0;
  std::vector<double> theta;  // theta order (ThetaLayout: lme4's term order)
  std::vector<std::string> theta_names;
  std::vector<double> theta_lower, theta_upper;
  double objective = 0;  // deviance (ML) or REML criterion
  double loglik = 0;     // -objective / 2
  double pwrss = 0, logdet_l = 0, logdet_rx = 0;
  double sigma2 = 0;  // residual variance (pwrss / n or pwrss / (n - p))
  double sigma = 0;
  Eigen::VectorXd beta;
  Eigen::MatrixXd rx;                // R_X (original X): cov(beta) = sigma2 (R_X'R_X)^{-1}
  Eigen::MatrixXd beta_covariance;   // sigma2 (R_X'R_X)^{-1}
  std::vector<TermEstimates> terms;  // ModelFrame order
  OptimizerResult optimizer;
  ConvergenceInfo convergence;
  // The pieces of every successful evaluation of the fit, by theta (a few hundred at most).
  PiecesByTheta evaluated;
  double seconds = 0;  // whole fit, evaluator construction included
  int threads = 1;
};

// Throws lmm::Error(kNumerical) if the objective cannot be evaluated at the start or the optimum.
FitCoreResult FitCore(const ModelFrame& frame, const FitCoreOptions& options);

// The same on an evaluator built for `frame` (CreateEvaluator), which the caller keeps for further
// work at the estimate (variance-component SEs, tests): the one pass over the data is done once.
// `seconds` then counts the fit without the evaluator's construction. Leaves `evaluator` updated
// at the optimum.
FitCoreResult FitCore(Evaluator& evaluator, const ModelFrame& frame, const FitCoreOptions& options);

// Fills r's estimates (objective, likelihood pieces, sigma, beta and its covariance, per-term
// covariances, conditional modes and variances) from `ev`, which is updated at r.theta.
void CollectEstimates(const Evaluator& ev, const ModelFrame& frame, const FitCoreOptions& options,
                      FitCoreResult& r);

// Evaluator::Create with the options' backend and threads; throws lmm::Error(kUsage) with the
// reason when the backend cannot take the model.
std::unique_ptr<Evaluator> CreateEvaluator(const ModelFrame& frame, const FitCoreOptions& options);

}  // namespace lmm
