// Grouping factors of random-effect terms: levels of g, or of an interaction g1:g2.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lmm/data_frame.h"
#include "lmm/formula.h"

namespace lmm::design {

struct GroupingFactor {
  std::vector<int32_t> level;        // per used row, 0-based
  std::vector<std::string> labels;   // per level: "308", "A:a"
};

// Levels of the interaction of `variables` present in the used rows, ordered as R's
// factor(g1:g2) orders them (by g1's level, then g2's), labels joined with ':'.
GroupingFactor BuildGroupingFactor(const std::vector<Variable>& variables, const DataFrame& data,
                                   const std::vector<int64_t>& rows);

}  // namespace lmm::design
