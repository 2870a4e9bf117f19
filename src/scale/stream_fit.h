// Fit() for a streamed model: the same estimation (FitCore) and inference as the in-memory path
// on the StreamEvaluator, with the options that need data rows refused.
#pragma once

#include "lmm/fit.h"
#include "lmm/fit_result.h"
#include "scale/stream_model.h"

namespace lmm::scale {

// Throws lmm::Error(kUsage) for options the streaming build does not support (--residuals, a
// --ddf other than none) and for --backend gpu when some process has no usable GPU. With gpu (or
// auto from kAutoGpuMinRows rows on, when every process has a device) each process evaluates its
// clusters on its own GPU (StreamEvaluator::UseDevice). FitResult::fitted is empty (no rows are
// kept).
FitResult FitStreamed(StreamedModel& model, const FitOptions& options);

}  // namespace lmm::scale
