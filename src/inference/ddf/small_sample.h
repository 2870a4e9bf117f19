// Small-sample inference for the fixed effects of a fitted model: the per-coefficient df, t, p and
// t intervals of a DDF method (Kenward-Roger: from the adjusted covariance), the F tests of each
// fixed term (Type III, lmerTest's hypotheses: type3_contrasts.h) and of all coefficients but the
// intercept, and user hypotheses, written into a FitResult. Without a DDF method the tests are Wald
// chi2 tests.
#pragma once

#include <Eigen/Dense>
#include <span>
#include <string>
#include <vector>

#include "lmm/fit.h"
#include "lmm/fit_result.h"
#include "lmm/model_frame.h"
#include "model/theta_layout.h"

namespace lmm::inference::ddf {

struct FittedModel {
  const ModelFrame& frame;
  const ThetaLayout& layout;
  std::span<const double> theta;
  double sigma2 = 0;
  Eigen::VectorXd beta;
  Eigen::MatrixXd cov_beta;  // sigma2 (R_X'R_X)^{-1}
  bool reml = true;
};

struct SmallSampleOptions {
  DdfMethod method = DdfMethod::kNone;
  InformationChoice information = InformationChoice::kDefault;
  std::vector<std::string> tests;
  bool term_tests = true;
  double level = 0.95;
  int threads = 0;
};

std::string DdfMethodName(DdfMethod method);

// Replaces fit->fixed_effects (and, for Kenward-Roger, fit->fixed_covariance) and fills
// fit->ddf_method, ddf_information, se_method and tests. Throws lmm::UsageError for Satterthwaite
// or Kenward-Roger on an ML fit, between-within on a model with several grouping factors, and bad
// hypotheses.
void ApplySmallSampleInference(const FittedModel& model, const SmallSampleOptions& options,
                               FitResult* fit);

}  // namespace lmm::inference::ddf
