#include "batch/response_outcome.h"

#include <utility>

#include "batch/failure.h"
#include "lmm/error.h"

namespace lmm::batch {

void InstallResponse(PreparedResponse& prepared, ModelFrame& frame) {
  frame.formula = std::move(prepared.formula);
  frame.response = std::move(prepared.label);
  frame.y.swap(prepared.y);
  frame.response_offset = prepared.offset;
}

void RecordFit(FitResult fit, ResponseOutcome& outcome) {
  if (fit.convergence.converged) {
    outcome.status = "ok";
  } else {
    outcome.status = "not-converged";
    outcome.exit_code = static_cast<int>(ErrorKind::kNumerical);
    outcome.message = "the fit did not converge: " + fit.convergence.message;
  }
  outcome.fit = std::move(fit);
}

void RecordFailure(ResponseOutcome& outcome) {
  const Failure failure = CurrentFailure();
  outcome.status = "failed";
  outcome.exit_code = failure.exit_code;
  outcome.message = failure.message;
}

}  // namespace lmm::batch
