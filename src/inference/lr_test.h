// Likelihood-ratio test of the mixed model against the linear model without random effects, as
// Stata's `mixed` prints it below its tables.
#pragma once

#include "likelihood/evaluator.h"
#include "lmm/fit_result.h"

namespace lmm::inference {

// The linear model is the same objective at theta = 0 (Lambda = 0: no random effects), by the same
// method (ML or REML). With one variance parameter the statistic's null distribution is the
// 50:50 mixture of chi2(0) and chi2(1) (chibar2(01)); with more, Stata refers it to chi2(k) and
// flags the test as conservative. `evaluator` is left updated at theta = 0.
LikelihoodRatioTest LrTestVsLinear(Evaluator& evaluator, double objective_at_estimate, bool reml);

// The test from its statistic and number of variance parameters, by the rule above.
LikelihoodRatioTest LrTestVsLinearFromStatistic(double statistic, int df);

}  // namespace lmm::inference
