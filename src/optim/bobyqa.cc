#include "optim/bobyqa.h"

#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <nlopt.hpp>

#include "optim/finite_difference.h"

namespace lmm {
namespace {

// A finite stand-in for +infinity: BOBYQA's quadratic models break on non-finite values.
constexpr double kHuge = 1e300;
// Relative step of the polish's finite differences: Richardson-extrapolated central differences
// have truncation error O(h^4) and rounding error O(eps_f / h); h = 1e-3 |x| balances them for
// objectives accurate to ~1e-12 relative.
constexpr double kPolishStep = 2e-3;
// A Newton step below this (relative to max(|x|, 0.01)) ends the polish once taken: Newton's
// error after it is O(step^2) plus the differences' own error (~1e-10), so another round of
// differences would not change x beyond that.
constexpr double kPolishDone = 1e-6;
// Relative rounding level of a profiled objective evaluated in double (a sum of O(n) terms).
constexpr double kObjectiveNoise = 64 * std::numeric_limits<double>::epsilon();

const char* ResultName(nlopt::result r) {
  switch (r) {
    case nlopt::SUCCESS:
      return "SUCCESS";
    case nlopt::STOPVAL_REACHED:
      return "STOPVAL_REACHED";
    case nlopt::FTOL_REACHED:
      return "FTOL_REACHED";
    case nlopt::XTOL_REACHED:
      return "XTOL_REACHED";
    case nlopt::MAXEVAL_REACHED:
      return "MAXEVAL_REACHED";
    case nlopt::MAXTIME_REACHED:
      return "MAXTIME_REACHED";
    case nlopt::ROUNDOFF_LIMITED:
      return "ROUNDOFF_LIMITED";
    case nlopt::FORCED_STOP:
      return "FORCED_STOP";
    case nlopt::OUT_OF_MEMORY:
      return "OUT_OF_MEMORY";
    case nlopt::INVALID_ARGS:
      return "INVALID_ARGS";
    case nlopt::FAILURE:
      return "FAILURE";
    default:
      break;
  }
  return "UNKNOWN";
}

struct Counted {
  const ObjectiveFunction* f;
  int evaluations = 0;
  double operator()(std::span<const double> x) {
    ++evaluations;
    const double v = (*f)(x);
    return std::isfinite(v) ? v : kHuge;
  }
};

// Newton steps on finite-difference derivatives over the coordinates not at a bound.
void Polish(Counted& f, const std::vector<double>& lower, const std::vector<double>& upper,
            int steps, OptimizerResult& result) {
  const ObjectiveFunction fn = [&f](std::span<const double> x) { return f(x); };
  const int k = static_cast<int>(result.x.size());
  Eigen::MatrixXd hessian;
  for (int step = 0; step < steps; ++step) {
    Derivatives d = FiniteDifferences(fn, result.x, result.value, lower, upper, kPolishStep,
                                      /*with_hessian=*/step == 0);
    if (step == 0) {
      hessian = d.hessian;
      result.hessian_differences = d;
    } else
      d.hessian = hessian;
    result.derivatives = d;
    result.derivatives_distance = 0;
    std::vector<int> free;
    for (int i = 0; i < k; ++i)
      if (!d.at_bound[i]) free.push_back(i);
    if (free.empty()) return;
    const int nf = static_cast<int>(free.size());
    Eigen::MatrixXd h(nf, nf);
    Eigen::VectorXd g(nf);
    for (int a = 0; a < nf; ++a) {
      g(a) = d.gradient(free[a]);
      for (int b = 0; b < nf; ++b) h(a, b) = d.hessian(free[a], free[b]);
    }
    if (!g.allFinite() || !h.allFinite()) return;
    const Eigen::LLT<Eigen::MatrixXd> llt(h);
    if (llt.info() != Eigen::Success) return;
    const Eigen::VectorXd delta = -llt.solve(g);
    std::vector<double> x = result.x;
    double size = 0;
    for (int a = 0; a < nf; ++a) {
      const int i = free[a];
      x[i] = std::clamp(x[i] + delta(a), lower[i], upper[i]);
      size = std::max(size, std::abs(x[i] - result.x[i]) / std::max(std::abs(result.x[i]), 1e-2));
    }
    if (size == 0) return;
    // Near the optimum the decrease of a Newton step (~ g'H^{-1}g / 2) is often below the
    // rounding of the objective, so the step is accepted unless the objective rises beyond it.
    const double value = f(x);
    if (!(value <= result.value + kObjectiveNoise * std::max(1.0, std::abs(result.value)))) return;
    result.x = x;
    result.value = value;
    result.derivatives_distance = size;
    ++result.polish_accepted;
    if (size < kPolishDone) {
      ++result.iterations;
      return;  // the step was below what another round of differences would resolve
    }
    result.derivatives.reset();
    ++result.iterations;
  }
}

}  // namespace

OptimizerResult MinimizeBobyqa(const ObjectiveFunction& f, std::vector<double> start,
                               const std::vector<double>& lower, const std::vector<double>& upper,
                               const OptimizerOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  const int k = static_cast<int>(start.size());
  for (int i = 0; i < k; ++i) start[i] = std::clamp(start[i], lower[i], upper[i]);
  Counted counted{&f};
  OptimizerResult result;
  nlopt::opt opt(nlopt::LN_BOBYQA, k);
  // NLopt wants finite bounds for BOBYQA's trust region arithmetic; +-huge behaves as none.
  std::vector<double> lo(lower), hi(upper);
  for (double& v : lo) v = std::max(v, -kHuge);
  for (double& v : hi) v = std::min(v, kHuge);
  opt.set_lower_bounds(lo);
  opt.set_upper_bounds(hi);
  opt.set_ftol_abs(options.ftol_abs);
  opt.set_ftol_rel(options.ftol_rel);
  opt.set_xtol_rel(options.xtol_rel);
  opt.set_maxeval(options.max_evaluations);
  std::vector<double> step(k, options.initial_step);
  for (int i = 0; i < k; ++i) {
    // The initial trust region must fit between the bounds.
    const double room = (hi[i] - lo[i]) / 2;
    step[i] = std::min(step[i], room);
  }
  opt.set_initial_step(step);
  auto trampoline = [](unsigned n, const double* x, double*, void* data) {
    return (*static_cast<Counted*>(data))(std::span<const double>(x, n));
  };
  opt.set_min_objective(trampoline, &counted);
  double value = 0;
  try {
    const nlopt::result r = opt.optimize(start, value);
    result.status = ResultName(r);
    result.converged = r > 0 && r != nlopt::MAXEVAL_REACHED && r != nlopt::MAXTIME_REACHED;
  } catch (const nlopt::roundoff_limited&) {
    result.status = "ROUNDOFF_LIMITED";
    result.converged = true;
    value = counted(start);
  } catch (const std::exception& e) {
    result.status = std::string("FAILURE: ") + e.what();
    value = counted(start);
  }
  result.x = start;
  result.value = value;
  result.iterations = 1;
  if (options.polish_steps > 0) Polish(counted, lower, upper, options.polish_steps, result);
  result.evaluations = counted.evaluations;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace lmm
