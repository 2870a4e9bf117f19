// The reported results of a fit without a residual structure, filled the same way by every path
// that runs FitCore on an evaluator (in memory: api/fit.cc; streamed or MPI: scale/stream_fit.cc).
#pragma once

#include "likelihood/evaluator.h"
#include "likelihood/fit_core.h"
#include "lmm/fit.h"
#include "lmm/fit_result.h"
#include "lmm/model_frame.h"

namespace lmm::inference {

// FitCore's options from the user's: REML or ML, threads, whether the conditional modes and
// variances are computed, on `backend`.
FitCoreOptions CoreOptions(const FitOptions& options, Backend backend);

// From FitCore's result and the evaluator it left at the estimate: theta and convergence, the
// likelihood criteria, fixed effects with the Wald test, the small-sample inference and tests
// (options.ddf), the variance components with SEs (on the polish's points where it left a
// central stencil), the LR test against the linear model and, if asked, the modes. The evaluator
// is left at the estimate.
void ReportFit(Evaluator& ev, const ModelFrame& frame, const FitCoreResult& core,
               const FitOptions& options, FitResult& fit);

}  // namespace lmm::inference
