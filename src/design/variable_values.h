// Values of one formula variable on the used rows: numbers, or a factor with R's level order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lmm/data_frame.h"
#include "lmm/formula.h"

namespace lmm::design {

struct VariableValues {
  std::string label;
  bool is_factor = false;
  std::vector<double> numbers;      // !is_factor: one per used row
  std::vector<int32_t> codes;       // is_factor: 0-based level per used row
  std::vector<std::string> levels;  // is_factor: labels of the levels present in the used rows
};

// How a variable is used, which decides whether a categorical column is acceptable.
enum class VariableUse {
  kTerm,      // in a model term: a categorical column becomes a factor (R's behaviour)
  kNumeric,   // the response or inside I(): must be numeric
  kGrouping,  // a grouping factor: always a factor
};

// Evaluates `variable` on data rows `rows`. Factor levels: numeric columns ordered numerically and
// labelled as R's as.character() writes them; categorical columns in byte order; unused levels
// dropped (as model.frame's drop.unused.levels). Throws lmm::Error(kData) naming the file, line and
// column when a column used as a number holds a non-number, and when I() gives a non-finite value.
VariableValues EvaluateVariable(const Variable& variable, const DataFrame& data,
                                const std::vector<int64_t>& rows, VariableUse use);

// R's as.character() of a double: up to 15 significant digits, fixed or scientific notation,
// whichever is narrower (ties to fixed), e.g. 308 -> "308", 0.5 -> "0.5", 1e5 -> "1e+05".
std::string FormatNumberLikeR(double value);

}  // namespace lmm::design
