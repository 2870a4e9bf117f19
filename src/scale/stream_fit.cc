#include "scale/stream_fit.h"

#include <chrono>

#include "inference/fit_report.h"
#include "inference/fit_summary.h"
#include "likelihood/fit_core.h"
#include "likelihood/gpu/gpu_probe.h"
#include "lmm/error.h"
#include "scale/stream_evaluator.h"

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
}

// The per-cluster pass (the only per-evaluation work that grows with the data) on every process'
// GPU, as ResolveBackend (api/fit.cc) decides for in-memory fits: gpu: the devices or a usage
// error naming why not; auto: the devices when every process has a usable one and the data have
// at least kAutoGpuMinRows rows, else the CPU.
Backend ChooseBackend(StreamEvaluator& ev, BackendChoice choice, std::string* note) {
  if (choice == BackendChoice::kCpu) return Backend::kCpu;
  if (choice == BackendChoice::kAuto && ev.n() < kAutoGpuMinRows) return Backend::kCpu;
  const std::string why = ev.UseDevice();
  if (why.empty()) return Backend::kGpu;
  if (choice == BackendChoice::kGpu)
    throw UsageError("--backend gpu: the GPU backend cannot be used: " + why);
  // A note only when a device was there (not for machines without one or builds without CUDA).
  if (why.rfind("no usable CUDA device", 0) != 0 && why.rfind("this build has no CUDA", 0) != 0)
    *note = "the GPU backend was not used: " + why + "; fitted on the CPU";
  return Backend::kCpu;
}

}  // namespace

FitResult FitStreamed(StreamedModel& model, const FitOptions& options) {
  CheckOptions(options);
  const ModelFrame& frame = model.frame;
  // BuildStreamedModel's evaluator is always a StreamEvaluator.
  StreamEvaluator& ev = static_cast<StreamEvaluator&>(*model.evaluator);
  FitResult fit;
  const Backend backend = ChooseBackend(ev, options.backend, &fit.backend_note);
  inference::CopyFrameFacts(frame, model.response_hash, fit);
  fit.nobs = ev.n();
  fit.reml = options.reml;

  FitCoreOptions core_options = inference::CoreOptions(options, backend);
  core_options.start = model.start;  // the rows' moment start, as FitCore takes it in memory
  if (model.start) core_options.optimizer.initial_step = kMomentStartStep;
  const auto t0 = std::chrono::steady_clock::now();
  FitCoreResult core = FitCore(ev, frame, core_options);
  core.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fit.backend = backend == Backend::kGpu ? "gpu" : "cpu";
  inference::ReportFit(ev, frame, core, options, fit);
  return fit;
}

}  // namespace lmm::scale
