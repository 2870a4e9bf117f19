// Many responses, one design: `fit --responses y1,y2,...` fits every listed response with the same
// right-hand side, the fixed-effects matrix and random-effect terms built once.
#pragma once

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "lmm/fit.h"
#include "lmm/load.h"

namespace lmm::batch {

struct ResponseOutcome {
  std::string response;
  std::string status;  // ok, failed, not-converged
  int exit_code = 0;   // as `lmmgpu fit`: 0, 2 (data), 3 (numerical, not converged), 1
  std::string message;
  std::optional<FitResult> fit;  // ok and not-converged
  double seconds = 0;
};

// Column names for the responses: each item is a column name, or a glob pattern with '*', '?' or
// '[...]' (fnmatch) matched against the header, in header order, leaving out the columns the
// right-hand side uses; a name listed twice is fitted once. Throws lmm::Error(kUsage) for a
// pattern that matches nothing, kData for a name that is not a column.
std::vector<std::string> ExpandResponses(const std::vector<std::string>& items,
                                         const std::vector<std::string>& columns,
                                         const std::vector<std::string>& rhs_columns,
                                         const std::string& source);

// The formula for one response: `formula` with its left-hand side (possibly empty) replaced by
// `response` (backquoted unless a syntactic R name). "y1 ~ x + (1 | g)", "y2" -> "y2 ~ x + (1 |
// g)".
std::string FormulaForResponse(const std::string& formula, const std::string& response);

// Reads `load.data_path` once and fits `load.formula`'s right-hand side to every response.
// Rows: a row is used only when none of the listed responses and none of the columns the
// right-hand side uses is missing in it, so that every response is fitted to the same rows and one
// design serves all; dropped rows are counted under the first listed response that is missing
// ("missing y2"), then as `fit` counts them. With complete responses each result equals a separate
// `fit` of FormulaForResponse(formula, y). A response that is not numeric or is constant, or whose
// fit throws or does not converge, gives a failed outcome; the others go on. Throws lmm::Error for
// what all responses share: formula, data file, design. Responses are fitted in parallel
// (options.threads workers, 0: all cores, each fit on one thread). When the backend resolves to
// the GPU (responses_fit.h: UsesGpuLockstep) one-term models run in lock-step groups, each round of
// a group's evaluations in one launch (responses_lockstep.h); other models with 100k rows or more
// and a backend other than cpu are fitted one at a time (each fit may use the GPU or all threads).
// `on_done` (optional) is called once per response as it finishes, serialized but in completion
// order; what it throws stops the remaining fits and is rethrown. The result is in response order.
// When the fits run on the CPU the design's cross-products are formed once and each response
// replaces only its own pieces (responses_fit.h): the same results, bit for bit, as fitting each
// frame anew.
std::vector<ResponseOutcome> FitResponses(
    const LoadOptions& load, const std::vector<std::string>& items, const FitOptions& options,
    const std::function<void(const ResponseOutcome&)>& on_done = nullptr);

}  // namespace lmm::batch
