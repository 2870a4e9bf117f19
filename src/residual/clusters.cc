#include "residual/clusters.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "lmm/error.h"

namespace lmm::residual {
namespace {

const Column& FindColumn(const std::vector<Column>& columns, const std::string& name,
                         const ResidualSpec& spec) {
  for (const Column& c : columns)
    if (c.name == name) return c;
  throw UsageError("--residuals '" + spec.text + "': no column '" + name + "' in the data");
}

int ClusterTerm(const ModelFrame& frame, const ResidualSpec& spec) {
  if (frame.random.empty())
    throw UsageError("--residuals '" + spec.text +
                     "': the model has no random-effect term whose groups are the clusters");
  int best = 0;
  for (int t = 1; t < static_cast<int>(frame.random.size()); ++t)
    if (frame.random[t].levels > frame.random[best].levels) best = t;
  return best;
}

}  // namespace

Clusters BuildClusters(const ModelFrame& frame, const ResidualSpec& spec,
                       const std::vector<Column>& columns) {
  const std::string where = "--residuals '" + spec.text + "': ";
  const int64_t n = frame.n();
  Clusters c;
  // The cluster of each row: the levels of the lowest-level term, or of the group variable.
  std::vector<int32_t> cluster_of;
  std::vector<std::string> cluster_labels;
  int t0 = -1;
  if (spec.group.empty()) {
    t0 = ClusterTerm(frame, spec);
    cluster_of = frame.random[t0].level;
    cluster_labels = frame.random[t0].level_labels;
    c.factor = frame.random[t0].grouping_factor;
  } else {
    if (frame.random.empty()) throw UsageError(where + "the model has no random-effect term");
    const Column& g = FindColumn(columns, spec.group, spec);
    std::map<std::string, int32_t> codes;
    std::vector<std::string> labels(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const auto r = static_cast<size_t>(frame.used_rows[i]);
      if (g.missing[r])
        throw DataError(where + "the group variable '" + spec.group + "' is missing in data row " +
                        std::to_string(r + 1));
      labels[static_cast<size_t>(i)] = g.type == ColumnType::kNumeric
                                           ? fmt::format("{}", g.numbers[r])
                                           : g.levels[static_cast<size_t>(g.codes[r])];
      codes.emplace(labels[static_cast<size_t>(i)], 0);
    }
    for (auto& [label, code] : codes) {
      code = static_cast<int32_t>(cluster_labels.size());
      cluster_labels.push_back(label);
    }
    cluster_of.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
      cluster_of[static_cast<size_t>(i)] = codes[labels[static_cast<size_t>(i)]];
    c.factor = spec.group;
  }
  const auto num_clusters = static_cast<int64_t>(cluster_labels.size());

  // Every other term must be constant within a cluster (nested), so that whitening a cluster's
  // rows keeps each row of Z in its level's columns.
  for (size_t t = 0; t < frame.random.size(); ++t) {
    if (static_cast<int>(t) == t0) continue;
    std::vector<int32_t> seen(static_cast<size_t>(num_clusters), -1);
    for (int64_t i = 0; i < n; ++i) {
      int32_t& s = seen[static_cast<size_t>(cluster_of[static_cast<size_t>(i)])];
      const int32_t l = frame.random[t].level[i];
      if (s >= 0 && s != l)
        throw UsageError(where + "the random term of '" + frame.random[t].group +
                         "' is not nested in the clusters '" + c.factor +
                         "' (residual structures need every grouping factor constant within "
                         "the lowest-level groups)");
      s = l;
    }
  }

  const Column* time = spec.time.empty() ? nullptr : &FindColumn(columns, spec.time, spec);
  const Column* by = spec.by.empty() ? nullptr : &FindColumn(columns, spec.by, spec);
  std::vector<double> tv(static_cast<size_t>(n), 0.0);
  if (time != nullptr) {
    if (time->type != ColumnType::kNumeric)
      throw DataError(where + "the time variable '" + spec.time + "' is not numeric");
    const TimeRule rule = spec.time_rule();
    for (int64_t i = 0; i < n; ++i) {
      const auto r = static_cast<size_t>(frame.used_rows[i]);
      const double v = time->numbers[r];
      if (time->missing[r] || !std::isfinite(v))
        throw DataError(where + "the time variable '" + spec.time + "' is missing in data row " +
                        std::to_string(r + 1));
      if (rule != TimeRule::kReal && (v != std::floor(v) || std::abs(v) > 1e9))
        throw DataError(where + "the time variable '" + spec.time +
                        "' must be integer-valued for " + TypeName(spec.type) + " (data row " +
                        std::to_string(r + 1) + ": " + fmt::format("{}", v) + ")");
      if (rule == TimeRule::kIdentifier && v < 0)
        throw DataError(where + "the time variable '" + spec.time + "' must be nonnegative for " +
                        TypeName(spec.type) + " (data row " + std::to_string(r + 1) + ")");
      tv[static_cast<size_t>(i)] = v;
    }
  }
  std::vector<int32_t> bv(static_cast<size_t>(n), 0);
  if (by != nullptr) {
    std::map<std::string, int32_t> codes;  // label -> provisional code
    std::vector<std::string> labels(static_cast<size_t>(n));
    std::map<double, std::string> numeric_labels;
    for (int64_t i = 0; i < n; ++i) {
      const auto r = static_cast<size_t>(frame.used_rows[i]);
      if (by->missing[r])
        throw DataError(where + "the by variable '" + spec.by + "' is missing in data row " +
                        std::to_string(r + 1));
      labels[static_cast<size_t>(i)] = by->type == ColumnType::kNumeric
                                           ? fmt::format("{}", by->numbers[r])
                                           : by->levels[static_cast<size_t>(by->codes[r])];
      if (by->type == ColumnType::kNumeric)
        numeric_labels.emplace(by->numbers[r], labels[static_cast<size_t>(i)]);
      codes.emplace(labels[static_cast<size_t>(i)], 0);
    }
    // Numeric by values are ordered numerically, text ones in byte order.
    if (by->type == ColumnType::kNumeric)
      for (const auto& [v, label] : numeric_labels) c.by_labels.push_back(label);
    else
      for (const auto& [label, code] : codes) c.by_labels.push_back(label);
    for (size_t k = 0; k < c.by_labels.size(); ++k) codes[c.by_labels[k]] = static_cast<int32_t>(k);
    for (int64_t i = 0; i < n; ++i)
      bv[static_cast<size_t>(i)] = codes[labels[static_cast<size_t>(i)]];
  }

  // Group rows by cluster (counting sort), then order each cluster by time.
  c.offsets.assign(static_cast<size_t>(num_clusters) + 1, 0);
  for (int64_t i = 0; i < n; ++i)
    ++c.offsets[static_cast<size_t>(cluster_of[static_cast<size_t>(i)]) + 1];
  std::partial_sum(c.offsets.begin(), c.offsets.end(), c.offsets.begin());
  c.rows.resize(static_cast<size_t>(n));
  {
    std::vector<int64_t> next(c.offsets.begin(), c.offsets.end() - 1);
    for (int64_t i = 0; i < n; ++i)
      c.rows[static_cast<size_t>(next[cluster_of[static_cast<size_t>(i)]]++)] = i;
  }
  c.cluster_by.assign(static_cast<size_t>(num_clusters), 0);
  const bool needs_unique_time = time != nullptr;
  for (int64_t k = 0; k < num_clusters; ++k) {
    auto begin = c.rows.begin() + c.offsets[k], end = c.rows.begin() + c.offsets[k + 1];
    std::stable_sort(begin, end, [&](int64_t a, int64_t b) { return tv[a] < tv[b]; });
    c.max_size = std::max<int64_t>(c.max_size, end - begin);
    for (auto it = begin; it != end; ++it) {
      if (needs_unique_time && it != begin && tv[*it] == tv[*(it - 1)])
        throw DataError(where + "the time variable '" + spec.time + "' repeats the value " +
                        fmt::format("{}", tv[*it]) + " within " + c.factor + " " +
                        cluster_labels[static_cast<size_t>(k)]);
      if (bv[*it] != bv[*begin]) {
        if (spec.type != ResidualType::kIndependent)
          throw DataError(where + "the by variable '" + spec.by + "' varies within " + c.factor +
                          " " + cluster_labels[static_cast<size_t>(k)] +
                          " (it must be constant within the clusters for " + TypeName(spec.type) +
                          ")");
        c.cluster_by[static_cast<size_t>(k)] = -1;
      }
    }
    if (begin != end && c.cluster_by[static_cast<size_t>(k)] == 0)
      c.cluster_by[static_cast<size_t>(k)] = bv[*begin];
    if (begin != end && spec.time_rule() == TimeRule::kInteger)
      c.max_lag = std::max<int64_t>(c.max_lag, static_cast<int64_t>(tv[*(end - 1)] - tv[*begin]));
  }
  c.time.resize(static_cast<size_t>(n));
  c.by.resize(static_cast<size_t>(n));
  c.time_id.assign(static_cast<size_t>(n), 0);
  for (int64_t e = 0; e < n; ++e) {
    c.time[static_cast<size_t>(e)] = tv[c.rows[e]];
    c.by[static_cast<size_t>(e)] = bv[c.rows[e]];
  }
  if (spec.time_rule() == TimeRule::kIdentifier) {
    c.time_levels = tv;
    std::sort(c.time_levels.begin(), c.time_levels.end());
    c.time_levels.erase(std::unique(c.time_levels.begin(), c.time_levels.end()),
                        c.time_levels.end());
    for (int64_t e = 0; e < n; ++e)
      c.time_id[static_cast<size_t>(e)] = static_cast<int32_t>(
          std::lower_bound(c.time_levels.begin(), c.time_levels.end(), c.time[e]) -
          c.time_levels.begin());
  }
  return c;
}

}  // namespace lmm::residual
