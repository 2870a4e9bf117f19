#include "inference/lr_test.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "inference/distributions.h"

namespace lmm::inference {

LikelihoodRatioTest LrTestVsLinear(Evaluator& ev, double objective_at_estimate, bool reml) {
  LikelihoodRatioTest test;
  const std::vector<double> zero(static_cast<size_t>(ev.layout().size()), 0.0);
  test.df = ev.layout().size();
  if (!ev.Update(zero).ok()) {
    test.statistic = test.p_value = std::numeric_limits<double>::quiet_NaN();
    return test;
  }
  return LrTestVsLinearFromStatistic(ev.Objective(reml) - objective_at_estimate, test.df);
}

LikelihoodRatioTest LrTestVsLinearFromStatistic(double statistic, int df) {
  LikelihoodRatioTest test;
  test.df = df;
  test.statistic = std::max(0.0, statistic);
  if (df == 1) {
    test.kind = "chibar2";
    test.p_value = test.statistic > 0 ? 0.5 * ChiSquaredUpperP(test.statistic, 1) : 1.0;
  } else {
    test.kind = "chi2-conservative";
    test.p_value = ChiSquaredUpperP(test.statistic, df);
  }
  return test;
}

}  // namespace lmm::inference
