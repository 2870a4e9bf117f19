// The `--residuals SPEC` text: Stata's residuals() structures [Stata mixed, Options: residuals()].
//   independent | exchangeable | ar(p) | ma(q) | toeplitz(k) | banded(k) | unstructured |
//   exponential
// each optionally with arguments in parentheses: an order (ar, ma, toeplitz, banded), `time = var`
// and `by = var`, comma-separated, in any order after the order: "ar(2, time = t, by = sex)".
// Stata's own spellings are accepted too: "ar 2, t(time) by(sex)". An lmmgpu extension,
// `group = var`, names the clusters explicitly (Stata's lowest level `|| var:, noconstant`, a level
// without random effects); every random-effect term must then be nested in it.
#pragma once

#include <string>
#include <string_view>

namespace lmm::residual {

enum class ResidualType {
  kIndependent,
  kExchangeable,
  kAr,
  kMa,
  kToeplitz,
  kBanded,
  kUnstructured,
  kExponential
};

// What the time variable must be [Stata mixed, residuals() options].
enum class TimeRule {
  kNone,        // independent, exchangeable: no time variable
  kInteger,     // ar, ma, toeplitz: integer-valued; gaps between values are lags
  kIdentifier,  // unstructured, banded: nonnegative integers naming the observations
  kReal,        // exponential: any real value
};

struct ResidualSpec {
  ResidualType type = ResidualType::kIndependent;
  int order = 0;      // ar/ma: p, q (default 1); toeplitz/banded: k, -1 = Stata's default (maximal)
  std::string time;   // time variable, empty when none
  std::string by;     // by variable, empty when none
  std::string group;  // cluster variable, empty: the lowest-level random term's grouping factor
  std::string text;   // the spec as given

  TimeRule time_rule() const;
};

std::string TypeName(ResidualType type);  // "ar", "exchangeable", ...

// Throws lmm::Error(kUsage) "--residuals 'SPEC': what is wrong" for an unknown structure, a bad
// order, an unknown or repeated option, a missing required time variable, or a time variable given
// to a structure that takes none.
ResidualSpec ParseResidualSpec(std::string_view text);

}  // namespace lmm::residual
