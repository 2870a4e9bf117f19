// The interface of the evaluators of models with a residual structure var(e_c) = sigma^2 R_c(u):
// the profiled objective of the whitened model plus sum_c log|R_c| (residual_evaluator.h), with u
// set apart from theta because re-whitening is a pass over the rows while Update(theta) is not.
// One final class per backend: ResidualEvaluator (CPU) and GpuResidualEvaluator
// (likelihood/gpu/gpu_residual_evaluator.h); the fit (residual_fit.h) and its inference
// (residual/residual_inference.h) run on either.
#pragma once

#include <span>
#include <vector>

#include "likelihood/evaluator.h"

namespace lmm {

class WhitenedEvaluator : public Evaluator {
 public:
  // Whitens for u (the structure's size() values). Not positive definite: an error status, and
  // Update() fails until a valid u is set; a device failure is kDevice.
  virtual Status SetResidualParameters(std::span<const double> u) = 0;
  virtual const std::vector<double>& residual_parameters() const = 0;  // the last u set
  virtual double logdet_r() const = 0;  // sum_c log|R_c| at the last u

 protected:
  using Evaluator::Evaluator;
};

}  // namespace lmm
