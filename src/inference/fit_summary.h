// Pieces of a FitResult that every fitting path (plain, with residual structures) fills the same
// way from the model frame and the core estimation result.
#pragma once

#include <string>

#include "likelihood/fit_core.h"
#include "lmm/fit_result.h"
#include "lmm/model_frame.h"

namespace lmm::inference {

// formula, nobs, rows read/dropped, groups, aliased columns and the response hash.
void CopyFrameFacts(const ModelFrame& frame, FitResult& fit);
// The same with the response hash given (a caller that has it already).
void CopyFrameFacts(const ModelFrame& frame, std::string response_hash, FitResult& fit);

// FNV-1a 64 over nobs and the bits of the used responses (lrtest's same-data check).
std::string ResponseHash(const ModelFrame& frame);

// lme4's checkConv: max |solve(chol(H), g)| over the parameters not at a bound (the gradient in
// Newton-step units, so the criterion does not grow with n); the raw gradient where that Hessian
// is not positive definite.
double ScaledGradient(const ConvergenceInfo& info);

// Convergence report: converged when the optimizer succeeded, the scaled gradient is below 2e-3
// and the Hessian is positive semidefinite (over the free parameters of a singular fit).
void CopyConvergence(const FitCoreResult& core, FitResult& fit);

// The evaluator's device report (GPU backends), if any, into fit.device.
void CopyDeviceReport(const Evaluator& ev, FitResult& fit);

// The model frame's y may be shifted by response_offset (only with an intercept): adds it back to
// the intercept so that every reported estimate is on the data's scale.
void AddResponseOffset(const ModelFrame& frame, FitCoreResult& core);

// Conditional modes with their conditional variances per term, and fitted values X beta + Z b.
void CollectModes(const ModelFrame& frame, const FitCoreResult& core, FitResult& fit);

}  // namespace lmm::inference
