#include "inference/fit_report.h"

#include <algorithm>
#include <cmath>

#include "inference/ddf/small_sample.h"
#include "inference/fit_summary.h"
#include "inference/fixed_effects.h"
#include "inference/lr_test.h"
#include "inference/variance_components.h"

namespace lmm::inference {

FitCoreOptions CoreOptions(const FitOptions& options, Backend backend) {
  FitCoreOptions core;
  core.reml = options.reml;
  core.threads = options.threads;
  core.backend = backend;
  core.conditional_effects = options.conditional_modes;
  return core;
}

void ReportFit(Evaluator& ev, const ModelFrame& frame, const FitCoreResult& core,
               const FitOptions& options, FitResult& fit) {
  fit.theta = core.theta;
  CopyConvergence(core, fit);
  CopyDeviceReport(ev, fit);

  fit.loglik = core.loglik;
  fit.deviance = core.objective;
  fit.df_model = core.p + static_cast<int>(core.theta.size()) + 1;
  fit.aic = fit.deviance + 2.0 * fit.df_model;
  fit.bic = fit.deviance + std::log(static_cast<double>(core.n)) * fit.df_model;

  fit.fixed_covariance = core.beta_covariance;
  fit.fixed_effects =
      FixedEffectsTable(frame.fixed_names, core.beta, core.beta_covariance, options.level);
  fit.has_wald_test =
      WaldTestAllButIntercept(frame.fixed_names, core.beta, core.beta_covariance, &fit.wald_test);
  {
    const ddf::FittedModel model{frame,     ev.layout(), core.theta,  core.sigma2,
                                 core.beta, core.beta_covariance, options.reml};
    ddf::SmallSampleOptions ddf_options;
    ddf_options.method = options.ddf;
    ddf_options.information = options.information;
    ddf_options.tests = options.tests;
    ddf_options.term_tests = options.term_tests;
    ddf_options.level = options.level;
    ddf_options.threads = options.threads;
    ddf::ApplySmallSampleInference(model, ddf_options, &fit);
  }

  // The polish's Hessian stencil (central in every coordinate) is reused for the information.
  KnownEvaluations known;
  if (const auto& hd = core.optimizer.hessian_differences;
      hd && std::none_of(hd->at_bound.begin(), hd->at_bound.end(), [](bool b) { return b; })) {
    known.center = hd->center;
    known.steps = hd->steps;
    known.pieces = &core.evaluated;
  }
  const VarianceComponentTable vc =
      EstimateVarianceComponents(ev, frame, core.theta, options.reml, options.level, known);
  fit.random_effects = vc.terms;
  fit.residual = vc.residual;
  fit.lr_test_vs_linear = LrTestVsLinear(ev, core.objective, options.reml);
  fit.has_lr_test = true;

  if (options.conditional_modes) CollectModes(frame, core, fit);
}

}  // namespace lmm::inference
