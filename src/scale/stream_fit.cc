#include "scale/stream_fit.h"

#include <chrono>

#include "inference/fit_report.h"
#include "inference/fit_summary.h"
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
  inference::CopyFrameFacts(frame, model.response_hash, fit);
  fit.nobs = ev.n();
  fit.reml = options.reml;

  FitCoreOptions core_options = inference::CoreOptions(options, Backend::kCpu);
  core_options.start = model.start;  // the rows' moment start, as FitCore takes it in memory
  if (model.start) core_options.optimizer.initial_step = kMomentStartStep;
  const auto t0 = std::chrono::steady_clock::now();
  FitCoreResult core = FitCore(ev, frame, core_options);
  core.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fit.backend = "cpu";
  inference::ReportFit(ev, frame, core, options, fit);
  return fit;
}

}  // namespace lmm::scale
