#include "batch/responses_fit.h"

#include <chrono>
#include <memory>
#include <utility>

#include "inference/fit_report.h"
#include "inference/fit_summary.h"
#include "likelihood/cpu/cpu_evaluator.h"
#include "likelihood/cpu/response_update.h"
#include "likelihood/fit_core.h"
#include "likelihood/gpu/gpu_probe.h"
#include "lmm/error.h"
#include "model/theta_layout.h"

namespace lmm::batch {
namespace {

// api/fit.cc's threshold of --backend auto: below it the CPU is used without probing the GPU.
constexpr int64_t kAutoGpuMinRows = 100000;

bool ResolvesToCpu(const ModelFrame& frame, BackendChoice choice) {
  switch (choice) {
    case BackendChoice::kCpu:
      return true;
    case BackendChoice::kAuto:
      return frame.n() < kAutoGpuMinRows || !ProbeGpuBackend(frame).usable;
    case BackendChoice::kGpu:
      return false;  // the GPU, or Fit's usage error naming why not
  }
  return false;
}

// No residual structure, and no Satterthwaite or Kenward-Roger with ML (Fit's usage error).
bool ValidForSharing(const FitOptions& options) {
  if (!options.residuals.empty()) return false;
  return options.reml ||
         (options.ddf != DdfMethod::kSatterthwaite && options.ddf != DdfMethod::kKenwardRoger);
}

}  // namespace

bool UsesGpuLockstep(const ModelFrame& frame, const FitOptions& options) {
#if LMM_HAVE_CUDA
  if (!ValidForSharing(options) || frame.random.size() != 1 || !UsesOneTermKernels(frame))
    return false;
  if (options.backend == BackendChoice::kCpu) return false;
  if (options.backend == BackendChoice::kAuto && frame.n() < kAutoGpuMinRows) return false;
  return ProbeGpuBackend(frame).usable;
#else
  (void)frame;
  (void)options;
  return false;
#endif
}

FitResult FitWithEvaluator(const ModelFrame& frame, const FitOptions& options, Evaluator& ev,
                           Backend backend, const std::string& response_hash) {
  const auto t0 = std::chrono::steady_clock::now();
  FitResult fit;
  inference::CopyFrameFacts(frame, response_hash, fit);
  fit.reml = options.reml;
  FitCoreOptions core_options = inference::CoreOptions(options, backend);
  FitCoreResult core = FitCore(ev, frame, core_options);
  core.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  inference::AddResponseOffset(frame, core);
  fit.backend = backend == Backend::kGpu ? "gpu" : "cpu";
  inference::ReportFit(ev, frame, core, options, fit);
  return fit;
}

std::optional<cpu::CrossProducts> SharedCrossProducts(const ModelFrame& frame,
                                                      const FitOptions& options) {
  if (!ValidForSharing(options)) return std::nullopt;
  if (frame.random.empty() || !ResolvesToCpu(frame, options.backend)) return std::nullopt;
  std::optional<cpu::CrossProducts> cp;
  try {
    cp = cpu::BuildCrossProducts(frame, ThetaLayout(frame));
  } catch (const Error&) {
    return std::nullopt;
  }
  return cp;
}

FitResult FitWithSharedDesign(const ModelFrame& frame, const FitOptions& options,
                              const cpu::CrossProducts& shared, const std::string& response_hash) {
  FitResult fit;
  inference::CopyFrameFacts(frame, response_hash, fit);
  fit.reml = options.reml;

  FitCoreOptions core_options = inference::CoreOptions(options, Backend::kCpu);
  const auto t0 = std::chrono::steady_clock::now();
  cpu::CrossProducts cp = shared;
  cpu::ReplaceResponse(frame, cp);
  EvaluatorOptions evaluator_options;
  evaluator_options.backend = Backend::kCpu;
  evaluator_options.threads = options.threads;
  CpuEvaluator ev(frame, evaluator_options, std::move(cp));
  FitCoreResult core = FitCore(ev, frame, core_options);
  core.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  inference::AddResponseOffset(frame, core);
  fit.backend = "cpu";
  inference::ReportFit(ev, frame, core, options, fit);
  return fit;
}

}  // namespace lmm::batch
