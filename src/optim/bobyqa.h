// Bound-constrained derivative-free minimization of a plain function (Powell's BOBYQA through
// NLopt), followed by an optional Newton polish on finite-difference derivatives. Knows nothing
// about mixed models.
#pragma once

#include <Eigen/Dense>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace lmm {

using ObjectiveFunction = std::function<double(std::span<const double>)>;

struct Derivatives {
  Eigen::VectorXd gradient;
  Eigen::MatrixXd hessian;
  std::vector<bool> at_bound;  // coordinates differenced one-sidedly
  int evaluations = 0;
  // The point differenced and each coordinate's step h_i: the function was evaluated at
  // center +- h_i e_i, center +- h_i / 2 e_i and, with the Hessian, center +- (h_i e_i + h_j e_j)
  // (central coordinates; see finite_difference.h for those at a bound).
  std::vector<double> center, steps;
};

struct OptimizerOptions {
  // Stopping rules of BOBYQA. The profiled deviance is O(n) in size but smooth and cheap, so the
  // tolerances are far below lme4's (rhoend 2e-7): the run stops when a step changes the
  // objective by < ftol_abs or every parameter by < xtol_rel relative. The result is then limited
  // by rounding in the objective (about 1e-13 relative), not by the stopping rule.
  // ftol_rel: a step that changes the objective by under 1e-13 relative (seven times its
  // rounding, kObjectiveNoise in bobyqa.cc) is no progress; the Newton polish finishes from there.
  double ftol_abs = 1e-10;
  double ftol_rel = 1e-13;
  double xtol_rel = 1e-10;
  int max_evaluations = 100000;
  double initial_step = 0.2;  // lme4's rhobeg for theta starting at 1
  // Newton steps on finite-difference derivatives from BOBYQA's result, over the parameters not
  // at a bound, each accepted only if it does not increase the objective. BOBYQA's solution is
  // accurate to about sqrt(rounding) in the parameters; the polish takes them to about
  // rounding^(4/5) (Richardson-extrapolated central differences), which the NIST one-way ANOVA
  // variance components need (9 digits). The Hessian is differenced once, at the first step;
  // later steps difference the gradient only.
  int polish_steps = 3;
};

struct OptimizerResult {
  std::vector<double> x;
  double value = 0;
  int evaluations = 0;  // function evaluations, polish included
  int iterations = 0;   // BOBYQA runs + accepted Newton steps
  int polish_accepted = 0;
  double seconds = 0;
  std::string status;      // NLopt's result: "FTOL_REACHED", "XTOL_REACHED", "MAXEVAL_REACHED", ...
  bool converged = false;  // NLopt reported success
  // Finite-difference derivatives from the polish's last differencing, at a point within
  // derivatives_distance (relative to max(|x|, 0.01), < 1e-6) of the returned x: the last polish
  // step starts there, so its gradient overstates the one at x. The Hessian may be from the first
  // polish point. Empty when the polish did not end that way.
  std::optional<Derivatives> derivatives;
  double derivatives_distance = 0;
  // The polish's differencing with the Hessian (its first step), whatever happened after it:
  // its points are reusable by callers that record the function's values (empty without polish).
  std::optional<Derivatives> hessian_differences;
};

// Minimizes f over lower <= x <= upper (infinite bounds allowed) from `start` (clamped into the
// bounds). f may return +infinity where it is undefined.
OptimizerResult MinimizeBobyqa(const ObjectiveFunction& f, std::vector<double> start,
                               const std::vector<double>& lower, const std::vector<double>& upper,
                               const OptimizerOptions& options);

}  // namespace lmm
