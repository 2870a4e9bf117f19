// The steps every `fit --responses` path takes per response (separate CPU fits, shared
// cross-products, GPU lock-step): the prepared response moved into the shared frame, and the
// response's outcome from a finished fit or from the exception that ended it.
#pragma once

#include "batch/responses.h"
#include "batch/responses_data.h"
#include "lmm/fit_result.h"
#include "lmm/model_frame.h"

namespace lmm::batch {

// frame's formula, response, y and response_offset become prepared's (moved out of `prepared`).
void InstallResponse(PreparedResponse& prepared, ModelFrame& frame);

// outcome.fit = fit; status "ok" when it converged, else "not-converged" with the numerical
// exit code and the optimizer's message.
void RecordFit(FitResult fit, ResponseOutcome& outcome);

// status "failed" with CurrentFailure()'s exit code and message (call only inside a catch block).
void RecordFailure(ResponseOutcome& outcome);

}  // namespace lmm::batch
