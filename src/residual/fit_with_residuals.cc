#include "residual/fit_with_residuals.h"

#include <cmath>
#include <cstring>

#include "inference/distributions.h"
#include "inference/fixed_effects.h"
#include "likelihood/residual/residual_fit.h"
#include "lmm/error.h"
#include "residual/residual_inference.h"

namespace lmm::residual {
namespace {

// FNV-1a over nobs and the bits of the used responses (as Fit()).
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

// lme4's scaled gradient solve(chol(H), g) over the free coordinates (as Fit()).
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
  return llt.matrixU().solve(g).cwiseAbs().maxCoeff();
}

}  // namespace

FitResult FitWithResiduals(const ModelFrame& frame, const FitOptions& options) {
  if (options.ddf != DdfMethod::kNone)
    throw UsageError("--ddf is not available with --residuals (use the default z tests)");
  if (options.backend == BackendChoice::kGpu)
    throw UsageError("--backend gpu: residual structures are fitted on the CPU only");
  if (!options.tests.empty()) throw UsageError("--test is not available with --residuals yet");
  const ResidualSpec spec = ParseResidualSpec(options.residuals);
  const Clusters clusters = BuildClusters(frame, spec, options.residual_columns);
  ResidualStructure structure(spec, clusters);

  FitCoreOptions core_options;
  core_options.reml = options.reml;
  core_options.threads = options.threads;
  core_options.backend = Backend::kCpu;
  core_options.conditional_variances = options.conditional_modes;
  std::unique_ptr<ResidualEvaluator> ev;
  ResidualFitCoreResult rc = FitResidualCore(frame, clusters, structure, core_options, &ev);
  FitCoreResult& core = rc.core;
  if (frame.response_offset != 0)
    for (int j = 0; j < frame.p(); ++j)
      if (frame.fixed_names[static_cast<size_t>(j)] == "(Intercept)")
        core.beta(j) += frame.response_offset;

  FitResult fit;
  fit.formula = frame.formula;
  fit.reml = options.reml;
  fit.backend = "cpu";
  fit.nobs = frame.n();
  fit.rows_read = frame.rows_read;
  fit.rows_dropped = frame.rows_dropped;
  fit.groups = frame.groups;
  fit.aliased = frame.aliased;
  fit.response_hash = ResponseHash(frame);
  fit.theta = core.theta;

  ConvergenceReport& c = fit.convergence;
  c.singular = core.convergence.singular;
  c.max_abs_gradient = core.convergence.max_abs_gradient;
  c.min_hessian_eigenvalue = core.convergence.min_hessian_eigenvalue;
  c.iterations = core.optimizer.iterations;
  c.evaluations = core.optimizer.evaluations;
  c.seconds = core.seconds;
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

  fit.loglik = core.loglik;
  fit.deviance = core.objective;
  fit.df_model = core.p + static_cast<int>(core.theta.size()) + 1 + structure.size();
  fit.aic = fit.deviance + 2.0 * fit.df_model;
  fit.bic = fit.deviance + std::log(static_cast<double>(core.n)) * fit.df_model;
  fit.fixed_covariance = core.beta_covariance;
  fit.fixed_effects = inference::FixedEffectsTable(frame.fixed_names, core.beta,
                                                   core.beta_covariance, options.level);
  fit.has_wald_test = inference::WaldTestAllButIntercept(frame.fixed_names, core.beta,
                                                         core.beta_covariance, &fit.wald_test);

  const ResidualInference inf = EstimateResidualInference(
      *ev, frame, clusters, structure, core.theta, rc.u, options.reml, options.level);
  fit.random_effects = inf.terms;
  fit.residual = inf.residual;
  fit.residual_structure = inf.structure;
  fit.has_residual_structure = true;

  // LR test against the linear model: no random effects and independent, homoskedastic residuals
  // (theta = 0, u = 0), df = all variance parameters but sigma^2 (Stata's chi2(k), conservative).
  {
    LikelihoodRatioTest& lr = fit.lr_test_vs_linear;
    lr.df = static_cast<int>(core.theta.size()) + structure.size();
    const std::vector<double> zero_theta(core.theta.size(), 0.0);
    if (ev->SetResidualParameters(structure.Start()).ok() && ev->Update(zero_theta).ok()) {
      lr.statistic = std::max(0.0, ev->Objective(options.reml) - core.objective);
      lr.kind = lr.df == 1 ? "chibar2" : "chi2-conservative";
      lr.p_value =
          lr.df == 1 ? (lr.statistic > 0 ? 0.5 * inference::ChiSquaredUpperP(lr.statistic, 1) : 1.0)
                     : inference::ChiSquaredUpperP(lr.statistic, lr.df);
      fit.has_lr_test = true;
    }
  }

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

}  // namespace lmm::residual
