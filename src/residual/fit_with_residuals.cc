#include "residual/fit_with_residuals.h"

#include <cmath>
#include <cstring>

#include "inference/distributions.h"
#include "inference/fit_report.h"
#include "inference/fit_summary.h"
#include "inference/fixed_effects.h"
#include "inference/lr_test.h"
#include "likelihood/gpu/gpu_probe.h"
#include "likelihood/gpu/residual_pack.h"
#include "likelihood/residual/residual_fit.h"
#include "lmm/error.h"
#include "residual/residual_inference.h"

#if LMM_HAVE_CUDA
#include "likelihood/gpu/gpu_residual_evaluator.h"
#endif

namespace lmm::residual {
namespace {

// gpu: the GPU or a usage error naming why not (no CUDA build, no device, a model the residual
// GPU path does not take, device memory short); auto: the GPU when usable and the data large
// enough, else the CPU (with *note saying why when a device was there).
Backend ResolveResidualBackend(const ModelFrame& frame, const Clusters& clusters,
                               BackendChoice choice, std::string* note) {
  if (choice == BackendChoice::kCpu) return Backend::kCpu;
  if (choice == BackendChoice::kAuto && frame.n() < kAutoGpuMinRows) return Backend::kCpu;
#if LMM_HAVE_CUDA
  const GpuProbe probe = GpuResidualEvaluator::Probe(frame, clusters);
#else
  GpuProbe probe = ProbeGpuBackend(frame);  // names the missing CUDA backend
  const std::string model = gpu::ResidualGpuUnsupportedReason(frame, clusters);
  if (!model.empty()) probe.reason = model;
#endif
  if (probe.usable) return Backend::kGpu;
  if (choice == BackendChoice::kGpu)
    throw UsageError("--backend gpu: residual structures cannot be fitted on the GPU: " +
                     probe.reason);
  *note = AutoFallbackNote(probe.device, probe.reason);
  return Backend::kCpu;
}

}  // namespace

FitResult FitWithResiduals(const ModelFrame& frame, const FitOptions& options) {
  if (options.ddf != DdfMethod::kNone)
    throw UsageError("--ddf is not available with --residuals (use the default z tests)");
  if (!options.tests.empty()) throw UsageError("--test is not available with --residuals yet");
  const ResidualSpec spec = ParseResidualSpec(options.residuals);
  const Clusters clusters = BuildClusters(frame, spec, options.residual_columns);
  ResidualStructure structure(spec, clusters);

  std::string backend_note;
  const Backend backend = ResolveResidualBackend(frame, clusters, options.backend, &backend_note);
  FitCoreOptions core_options = inference::CoreOptions(options, backend);
  std::unique_ptr<WhitenedEvaluator> ev;
  ResidualFitCoreResult rc = FitResidualCore(frame, clusters, structure, core_options, &ev);
  FitCoreResult& core = rc.core;
  inference::AddResponseOffset(frame, core);

  FitResult fit;
  fit.backend_note = backend_note;
  inference::CopyFrameFacts(frame, fit);
  fit.reml = options.reml;
  fit.backend = rc.backend == Backend::kGpu ? "gpu" : "cpu";
  fit.theta = core.theta;
  inference::CopyConvergence(core, fit);
  inference::CopyDeviceReport(*ev, fit);

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
      lr = inference::LrTestVsLinearFromStatistic(ev->Objective(options.reml) - core.objective,
                                                  lr.df);
      fit.has_lr_test = true;
    }
  }

  if (options.conditional_modes) inference::CollectModes(frame, core, fit);
  return fit;
}

}  // namespace lmm::residual
