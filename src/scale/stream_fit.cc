#include "scale/stream_fit.h"

#include <chrono>
#include <cmath>

#include "inference/ddf/small_sample.h"
#include "inference/fit_summary.h"
#include "inference/fixed_effects.h"
#include "inference/lr_test.h"
#include "inference/variance_components.h"
#include "likelihood/fit_core.h"
#include "lmm/error.h"

namespace lmm::scale {
namespace {

void CheckOptions(const FitOptions& options) {
  const char* what = "the streaming build (--memory-limit, mpirun) ";
  if (!options.residuals.empty())
    throw UsageError(std::string(what) + "does not support --residuals; fit in memory");
  if (options.ddf != DdfMethod::kNone)
    throw UsageError(std::string(what) +
                     "supports --ddf none only (the other methods need the "
                     "data rows); fit in memory");
  if (options.backend == BackendChoice::kGpu)
    throw UsageError(std::string(what) + "evaluates on the CPU; drop --backend gpu");
}

}  // namespace

FitResult FitStreamed(StreamedModel& model, const FitOptions& options) {
  CheckOptions(options);
  const ModelFrame& frame = model.frame;
  Evaluator& ev = *model.evaluator;
  FitResult fit;
  inference::CopyFrameFacts(frame, fit);
  fit.nobs = ev.n();
  fit.response_hash = model.response_hash;
  fit.reml = options.reml;

  FitCoreOptions core_options;
  core_options.reml = options.reml;
  core_options.threads = options.threads;
  core_options.backend = Backend::kCpu;
  core_options.conditional_variances = options.conditional_modes;
  core_options.start = model.start;  // the rows' moment start, as FitCore takes it in memory
  const auto t0 = std::chrono::steady_clock::now();
  FitCoreResult core = FitCore(ev, frame, core_options);
  core.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fit.backend = "cpu";
  fit.theta = core.theta;
  inference::CopyConvergence(core, fit);

  fit.loglik = core.loglik;
  fit.deviance = core.objective;
  fit.df_model = core.p + static_cast<int>(core.theta.size()) + 1;
  fit.aic = fit.deviance + 2.0 * fit.df_model;
  fit.bic = fit.deviance + std::log(static_cast<double>(core.n)) * fit.df_model;

  fit.fixed_covariance = core.beta_covariance;
  fit.fixed_effects = inference::FixedEffectsTable(frame.fixed_names, core.beta,
                                                   core.beta_covariance, options.level);
  fit.has_wald_test = inference::WaldTestAllButIntercept(frame.fixed_names, core.beta,
                                                         core.beta_covariance, &fit.wald_test);
  {
    const inference::ddf::FittedModel fitted{
        frame, ev.layout(), core.theta, core.sigma2, core.beta, core.beta_covariance, options.reml};
    inference::ddf::SmallSampleOptions ddf_options;
    ddf_options.method = DdfMethod::kNone;
    ddf_options.tests = options.tests;
    ddf_options.term_tests = options.term_tests;
    ddf_options.level = options.level;
    ddf_options.threads = options.threads;
    inference::ddf::ApplySmallSampleInference(fitted, ddf_options, &fit);
  }
  const inference::VarianceComponentTable vc =
      inference::EstimateVarianceComponents(ev, frame, core.theta, options.reml, options.level);
  fit.random_effects = vc.terms;
  fit.residual = vc.residual;
  fit.lr_test_vs_linear = inference::LrTestVsLinear(ev, core.objective, options.reml);
  fit.has_lr_test = true;
  if (options.conditional_modes) inference::CollectModes(frame, core, fit);
  return fit;
}

}  // namespace lmm::scale
