// Fit(): estimation by FitCore, then inference on top of the same evaluator interface.
#include "lmm/fit.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "inference/ddf/small_sample.h"
#include "inference/fit_report.h"
#include "inference/fit_summary.h"
#include "likelihood/fit_core.h"
#include "likelihood/gpu/gpu_probe.h"
#include "lmm/error.h"
#include "residual/fit_with_residuals.h"

namespace lmm {
namespace {

// gpu: the GPU or a usage error naming why not (no CUDA build, no device, model not supported,
// device memory short); auto: the GPU when it is usable and the problem large enough, else CPU
// (with *note saying why when a device was there: AutoFallbackNote).
Backend ResolveBackend(const ModelFrame& frame, BackendChoice choice, std::string* note) {
  if (choice == BackendChoice::kCpu) return Backend::kCpu;
  if (choice == BackendChoice::kAuto && frame.n() < kAutoGpuMinRows) return Backend::kCpu;
  const GpuProbe probe = ProbeGpuBackend(frame);
  if (probe.usable) return Backend::kGpu;
  if (choice == BackendChoice::kGpu)
    throw UsageError("--backend gpu: the GPU backend cannot be used: " + probe.reason);
  *note = AutoFallbackNote(probe.device, probe.reason);
  return Backend::kCpu;
}

// The evaluator for the resolved backend. With auto, a GPU evaluator that cannot be built after
// all (device memory taken since the probe, a failed allocation) falls back to the CPU with a
// note rather than failing the fit.
std::unique_ptr<Evaluator> CreateFitEvaluator(const ModelFrame& frame, const FitOptions& options,
                                              FitCoreOptions& core_options, std::string* note) {
  if (core_options.backend != Backend::kGpu || options.backend != BackendChoice::kAuto)
    return CreateEvaluator(frame, core_options);
  EvaluatorOptions eopt;
  eopt.backend = Backend::kGpu;
  eopt.threads = core_options.threads;
  Status status;
  std::unique_ptr<Evaluator> ev = Evaluator::Create(frame, eopt, &status);
  if (ev != nullptr) return ev;
  *note = "the GPU backend was not used: " + status.ToString() + "; fitted on the CPU";
  core_options = inference::CoreOptions(options, Backend::kCpu);
  return CreateEvaluator(frame, core_options);
}

}  // namespace

FitResult Fit(const ModelFrame& frame, const FitOptions& options) {
  if (!options.residuals.empty()) return residual::FitWithResiduals(frame, options);
  FitResult fit;
  inference::CopyFrameFacts(frame, fit);
  fit.reml = options.reml;
  if (!options.reml && (options.ddf == DdfMethod::kSatterthwaite ||
                        options.ddf == DdfMethod::kKenwardRoger))
    throw UsageError("--ddf " + inference::ddf::DdfMethodName(options.ddf) +
                     " requires REML estimation; drop --ml (as Stata's mixed, Satterthwaite and "
                     "Kenward-Roger are defined for REML only)");

  FitCoreOptions core_options =
      inference::CoreOptions(options, ResolveBackend(frame, options.backend, &fit.backend_note));
  // Past the CPU's dense limit only the GPU fits the model, without the host back-substitution.
  if (core_options.backend == Backend::kGpu && options.conditional_modes &&
      !UsesOneTermKernels(frame) && DenseRestSize(frame) > cpu::kMaxDenseRest)
    throw UsageError("--ranef/--predict (FitOptions::conditional_modes): the conditional modes of this model "
                     "are not available: "
                     "its dense block has " + std::to_string(DenseRestSize(frame)) +
                     " columns and the host back-substitution stores at most " +
                     std::to_string(cpu::kMaxDenseRest) + "; fit without them");
  const auto t0 = std::chrono::steady_clock::now();
  // One evaluator (one pass over the data) serves the fit and the inference at the estimate.
  std::unique_ptr<Evaluator> ev = CreateFitEvaluator(frame, options, core_options, &fit.backend_note);
  FitCoreResult core = FitCore(*ev, frame, core_options);
  core.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  inference::AddResponseOffset(frame, core);
  fit.backend = core_options.backend == Backend::kGpu ? "gpu" : "cpu";
  inference::ReportFit(*ev, frame, core, options, fit);
  return fit;
}

}  // namespace lmm
