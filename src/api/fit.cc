// Fit(): estimation by FitCore, then inference on top of the same evaluator interface.
#include "lmm/fit.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "inference/ddf/small_sample.h"
#include "inference/fixed_effects.h"
#include "inference/lr_test.h"
#include "inference/variance_components.h"
#include "likelihood/fit_core.h"
#include "likelihood/gpu/gpu_probe.h"
#include "lmm/error.h"
#include "residual/fit_with_residuals.h"

namespace lmm {
namespace {

// --backend auto tries the GPU from this many rows on: below it a CPU evaluation takes about as
// long as the transfers and launches of a GPU one.
constexpr int64_t kAutoGpuMinRows = 100000;

// gpu: the GPU or a usage error naming why not (no CUDA build, no device, model not supported,
// device memory short); auto: the GPU when it is usable and the problem large enough, else CPU.
Backend ResolveBackend(const ModelFrame& frame, BackendChoice choice) {
  if (choice == BackendChoice::kCpu) return Backend::kCpu;
  if (choice == BackendChoice::kAuto && frame.n() < kAutoGpuMinRows) return Backend::kCpu;
  const GpuProbe probe = ProbeGpuBackend(frame);
  if (probe.usable) return Backend::kGpu;
  if (choice == BackendChoice::kGpu)
    throw UsageError("--backend gpu: the GPU backend cannot be used: " + probe.reason);
  return Backend::kCpu;
}

// FNV-1a over nobs and the bits of the used responses.
std::string ResponseHash(const ModelFrame& frame) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](uint64_t v) {
    for (int b = 0; b < 8; ++b) {
      h ^= (v >> (8 * b)) & 0xffU;
      h *= 1099511628211ULL;
    }
  };
  mix(static_cast<uint64_t>(frame.n()));
  for (Eigen::Index i = 0; i < frame.y.size(); ++i) {
    uint64_t bits = 0;
    const double v = frame.y(i);
    std::memcpy(&bits, &v, sizeof bits);
    mix(bits);
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

void CopyFrameFacts(const ModelFrame& frame, FitResult& fit) {
  fit.formula = frame.formula;
  fit.nobs = frame.n();
  fit.rows_read = frame.rows_read;
  fit.rows_dropped = frame.rows_dropped;
  fit.groups = frame.groups;
  fit.aliased = frame.aliased;
  fit.response_hash = ResponseHash(frame);
}

double ScaledGradient(const ConvergenceInfo& info) {
  std::vector<Eigen::Index> free;
  for (Eigen::Index i = 0; i < info.gradient.size(); ++i)
    if (!info.at_bound[static_cast<size_t>(i)]) free.push_back(i);
  if (free.empty()) return 0.0;
  const auto k = static_cast<Eigen::Index>(free.size());
  Eigen::MatrixXd h(k, k);
  Eigen::VectorXd g(k);
  for (Eigen::Index a = 0; a < k; ++a) {
    g(a) = info.gradient(free[a]);
    for (Eigen::Index b = 0; b < k; ++b) h(a, b) = info.hessian(free[a], free[b]);
  }
  const Eigen::LLT<Eigen::MatrixXd> llt(h);
  if (llt.info() != Eigen::Success) return g.cwiseAbs().maxCoeff();
  // chol(H) in R is the upper factor U (H = U'U); solve(U, g).
  return llt.matrixU().solve(g).cwiseAbs().maxCoeff();
}

void CopyConvergence(const FitCoreResult& core, FitResult& fit) {
  ConvergenceReport& c = fit.convergence;
  c.singular = core.convergence.singular;
  c.max_abs_gradient = core.convergence.max_abs_gradient;
  c.min_hessian_eigenvalue = core.convergence.min_hessian_eigenvalue;
  c.iterations = core.optimizer.iterations;
  c.evaluations = core.optimizer.evaluations;
  c.seconds = core.seconds;
  // lme4's checkConv: the gradient scaled by the Hessian's Cholesky factor, solve(chol(H), g),
  // below 2e-3 (so the criterion does not grow with n), over the parameters not at a bound; where
  // that Hessian is not positive definite, the raw gradient below 2e-3.
  c.scaled_gradient = ScaledGradient(core.convergence);
  const bool gradient_ok = c.scaled_gradient < 2e-3;
  const bool hessian_ok = !(c.min_hessian_eigenvalue < 0) || c.singular;
  c.converged = core.optimizer.converged && gradient_ok && hessian_ok;
  if (!core.optimizer.converged)
    c.message = "optimizer stopped: " + core.optimizer.status;
  else if (!gradient_ok)
    c.message = "gradient at the optimum is not near zero";
  else if (!hessian_ok)
    c.message = "Hessian at the optimum is not positive semidefinite";
}

}  // namespace

FitResult Fit(const ModelFrame& frame, const FitOptions& options) {
  if (!options.residuals.empty()) return residual::FitWithResiduals(frame, options);
  FitResult fit;
  CopyFrameFacts(frame, fit);
  fit.reml = options.reml;
  if (!options.reml && (options.ddf == DdfMethod::kSatterthwaite ||
                        options.ddf == DdfMethod::kKenwardRoger))
    throw UsageError("--ddf " + inference::ddf::DdfMethodName(options.ddf) +
                     " requires REML estimation; drop --ml (as Stata's mixed, Satterthwaite and "
                     "Kenward-Roger are defined for REML only)");

  FitCoreOptions core_options;
  core_options.reml = options.reml;
  core_options.threads = options.threads;
  core_options.backend = ResolveBackend(frame, options.backend);
  core_options.conditional_variances = options.conditional_modes;
  const auto t0 = std::chrono::steady_clock::now();
  // One evaluator (one pass over the data) serves the fit and the inference at the estimate.
  std::unique_ptr<Evaluator> ev = CreateEvaluator(frame, core_options);
  FitCoreResult core = FitCore(*ev, frame, core_options);
  core.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // The model frame's y may be shifted by response_offset (only with an intercept): put it back into
  // the intercept so that every reported estimate is on the data's scale.
  if (frame.response_offset != 0)
    for (int j = 0; j < frame.p(); ++j)
      if (frame.fixed_names[static_cast<size_t>(j)] == "(Intercept)")
        core.beta(j) += frame.response_offset;
  fit.backend = core_options.backend == Backend::kGpu ? "gpu" : "cpu";
  fit.theta = core.theta;
  CopyConvergence(core, fit);

  fit.loglik = core.loglik;
  fit.deviance = core.objective;
  fit.df_model = core.p + static_cast<int>(core.theta.size()) + 1;
  fit.aic = fit.deviance + 2.0 * fit.df_model;
  fit.bic = fit.deviance + std::log(static_cast<double>(core.n)) * fit.df_model;

  fit.fixed_covariance = core.beta_covariance;
  fit.fixed_effects =
      inference::FixedEffectsTable(frame.fixed_names, core.beta, core.beta_covariance, options.level);
  fit.has_wald_test = inference::WaldTestAllButIntercept(frame.fixed_names, core.beta,
                                                         core.beta_covariance, &fit.wald_test);
  {
    const ThetaLayout layout(frame);
    const inference::ddf::FittedModel model{frame,     layout,    core.theta, core.sigma2,
                                            core.beta, core.beta_covariance, options.reml};
    inference::ddf::SmallSampleOptions ddf_options;
    ddf_options.method = options.ddf;
    ddf_options.information = options.information;
    ddf_options.tests = options.tests;
    ddf_options.term_tests = options.term_tests;
    ddf_options.level = options.level;
    ddf_options.threads = options.threads;
    inference::ddf::ApplySmallSampleInference(model, ddf_options, &fit);
  }

  const inference::VarianceComponentTable vc = inference::EstimateVarianceComponents(
      *ev, frame, core.theta, options.reml, options.level);
  fit.random_effects = vc.terms;
  fit.residual = vc.residual;
  fit.lr_test_vs_linear = inference::LrTestVsLinear(*ev, core.objective, options.reml);
  fit.has_lr_test = true;

  if (options.conditional_modes) {
    fit.fitted = frame.x * core.beta;
    for (size_t t = 0; t < frame.random.size(); ++t) {
      const RandomEffectTerm& re = frame.random[t];
      const TermEstimates& est = core.terms[t];
      RandomEffectModes m;
      m.group = re.group;
      m.names = re.names;
      m.level_labels = re.level_labels;
      m.modes = est.modes;
      m.conditional_variances = est.conditional_variances;
      for (Eigen::Index i = 0; i < frame.n(); ++i)
        fit.fitted(i) += re.z.row(i).dot(est.modes.row(re.level[static_cast<size_t>(i)]));
      fit.modes.push_back(std::move(m));
    }
  }
  return fit;
}

}  // namespace lmm
