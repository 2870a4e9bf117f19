#include "design/grouping.h"

#include <algorithm>
#include <utility>

#include "design/variable_values.h"

namespace lmm::design {
namespace {

// Key spaces (an interaction's level combinations) of up to this many keys per row are ranked by a
// table of one int32 per key; larger ones by sorting the rows' keys.
constexpr int64_t kDenseKeysPerRow = 4;

}  // namespace

GroupingFactor BuildGroupingFactor(const std::vector<Variable>& variables, const DataFrame& data,
                                   const std::vector<int64_t>& rows) {
  std::vector<VariableValues> parts;
  for (const Variable& v : variables)
    parts.push_back(EvaluateVariable(v, data, rows, VariableUse::kGrouping));

  GroupingFactor out;
  if (parts.size() == 1) {  // a factor's codes are already the ranks of its levels present
    out.level = std::move(parts[0].codes);
    out.labels = std::move(parts[0].levels);
    return out;
  }
  // Mixed-radix key per row, in lexicographic order of the parts' level indices; a level is the
  // rank of its key among the distinct keys.
  const size_t n = rows.size();
  std::vector<int64_t> key(n, 0);
  const int64_t dense_limit = kDenseKeysPerRow * static_cast<int64_t>(n);
  int64_t keys = 1;  // size of the key space, or dense_limit + 1 when larger
  for (const VariableValues& part : parts) {
    const auto radix = std::max<int64_t>(static_cast<int64_t>(part.levels.size()), 1);
    for (size_t i = 0; i < n; ++i) key[i] = key[i] * radix + part.codes[i];
    keys = keys > dense_limit / radix ? dense_limit + 1 : keys * radix;
  }
  out.level.resize(n);
  std::vector<int64_t> level_key;  // per level, in increasing key order
  if (keys <= dense_limit) {
    // Ranks by a table over the key space: O(n + keys) instead of a sort.
    std::vector<int32_t> rank(keys, 0);
    for (size_t i = 0; i < n; ++i) rank[key[i]] = 1;
    int32_t next = 0;
    for (int64_t k = 0; k < keys; ++k)
      if (rank[k] != 0) {
        rank[k] = next++;
        level_key.push_back(k);
      }
    for (size_t i = 0; i < n; ++i) out.level[i] = rank[key[i]];
  } else {
    level_key = key;
    std::sort(level_key.begin(), level_key.end());
    level_key.erase(std::unique(level_key.begin(), level_key.end()), level_key.end());
    for (size_t i = 0; i < n; ++i)
      out.level[i] = static_cast<int32_t>(
          std::lower_bound(level_key.begin(), level_key.end(), key[i]) - level_key.begin());
  }
  const std::vector<int64_t>& distinct = level_key;
  std::vector<size_t> first_row(distinct.size(), n);
  for (size_t i = 0; i < n; ++i) first_row[out.level[i]] = std::min(first_row[out.level[i]], i);
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
