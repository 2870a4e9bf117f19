#include "design/grouping.h"

#include <algorithm>
#include <numeric>

#include "design/variable_values.h"

namespace lmm::design {

GroupingFactor BuildGroupingFactor(const std::vector<Variable>& variables, const DataFrame& data,
                                   const std::vector<int64_t>& rows) {
  std::vector<VariableValues> parts;
  for (const Variable& v : variables)
    parts.push_back(EvaluateVariable(v, data, rows, VariableUse::kGrouping));

  // Mixed-radix key per row, in lexicographic order of the parts' level indices.
  const size_t n = rows.size();
  std::vector<int64_t> key(n, 0);
  for (const VariableValues& part : parts) {
    const auto radix = static_cast<int64_t>(part.levels.size());
    for (size_t i = 0; i < n; ++i) key[i] = key[i] * radix + part.codes[i];
  }
  std::vector<int64_t> distinct = key;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());

  GroupingFactor out;
  out.level.resize(n);
  std::vector<size_t> first_row(distinct.size(), n);
  for (size_t i = 0; i < n; ++i) {
    const auto l = std::lower_bound(distinct.begin(), distinct.end(), key[i]) - distinct.begin();
    out.level[i] = static_cast<int32_t>(l);
    first_row[l] = std::min(first_row[l], i);
  }
  out.labels.resize(distinct.size());
  for (size_t l = 0; l < distinct.size(); ++l) {
    std::string label;
    for (size_t p = 0; p < parts.size(); ++p) {
      if (p > 0) label += ':';
      label += parts[p].levels[parts[p].codes[first_row[l]]];
    }
    out.labels[l] = std::move(label);
  }
  return out;
}

}  // namespace lmm::design
