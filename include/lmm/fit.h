// Fitting a model frame: estimation (ML/REML) and the full set of results.
#pragma once

#include <string>
#include <vector>

#include "lmm/fit_result.h"
#include "lmm/model_frame.h"

namespace lmm {

enum class BackendChoice { kAuto, kCpu, kGpu };

// Denominator degrees of freedom of the fixed-effects tests (Stata mixed dfmethod(); SAS DDFM=).
//  kNone: z and chi2 tests (large sample);
//  kResidual: n - rank(X) for every test;
//  kBetweenWithin: Stata's "repeated" (SAS BETWITHIN): one grouping factor; a column constant
//    within every group gets G - rank(between columns), the others n - G - rank(within columns);
//  kContainment: Stata's "anova": a column that is also a column of random-effect terms gets the
//    smallest number of levels of their grouping factors minus one, the others n - rank(X, Z);
//  kSatterthwaite: Giesbrecht-Burns / Fai-Cornelius (as lmerTest), REML only;
//  kKenwardRoger: Kenward & Roger (1997) with the adjusted covariance of beta (as pbkrtest),
//    REML only.
enum class DdfMethod { kNone, kResidual, kBetweenWithin, kContainment, kSatterthwaite, kKenwardRoger };

// Which information matrix gives the covariance of the variance parameters for Satterthwaite and
// Kenward-Roger. kDefault: observed for Satterthwaite (lmerTest), expected for Kenward-Roger
// (pbkrtest, Stata).
enum class InformationChoice { kDefault, kExpected, kObserved };

struct FitOptions {
  bool reml = true;
  int threads = 0;  // 0: all cores
  BackendChoice backend = BackendChoice::kAuto;
  double level = 0.95;  // confidence level of the intervals
  bool conditional_modes = true;  // BLUPs, their conditional variances, fitted values
  DdfMethod ddf = DdfMethod::kNone;
  InformationChoice information = InformationChoice::kDefault;
  // Linear hypotheses on the fixed effects by coefficient name, each reported in
  // FitResult::tests: "a = b", "a - b = 0", "2*a + b = 3", joint "a = 0, b = 0".
  std::vector<std::string> tests;
  bool term_tests = true;  // an F (or chi2) test per fixed term and of all but the intercept
  // Residual error structure within the lowest-level groups (Stata's residuals()), e.g.
  // "ar(2, time = time)", "exchangeable(by = g)"; empty: independent, homoskedastic residuals.
  std::string residuals;
  // The data columns the structure names (time, by) with all data-frame rows, indexed through
  // ModelFrame::used_rows; `lmmgpu fit --residuals` reads them from the data file.
  std::vector<Column> residual_columns;
};

// Throws lmm::Error(kNumerical) when the objective cannot be evaluated, and kUsage when the
// requested backend is not available, when Satterthwaite or Kenward-Roger is asked of an ML fit,
// and for a --test that does not parse or names an unknown coefficient. A fit that did not converge or is singular is reported in
// FitResult::convergence, not thrown.
FitResult Fit(const ModelFrame& frame, const FitOptions& options);

// Sets options.ddf (and options.information) from "METHOD[,eim|oim]": none, residual,
// between-within, containment, satterthwaite, kenward-roger, or Stata's names repeated, anova,
// kroger. Throws lmm::Error(kUsage) naming the text for anything else.
void ParseDdfOption(const std::string& text, FitOptions& options);

}  // namespace lmm
