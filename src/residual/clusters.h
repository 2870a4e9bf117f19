// The clusters of a residual structure: the levels of the lowest-level grouping factor (Stata:
// "the lowest-level groups"; lmmgpu: the random-effect term with the most levels, in which every
// other term must be nested; or the spec's `group = var`, in which every term must be nested), with
// the time and by values of their rows, checked against Stata's rules for the structure's time
// variable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lmm/data_frame.h"
#include "lmm/model_frame.h"
#include "residual/residual_spec.h"

namespace lmm::residual {

struct Clusters {
  std::string factor;            // the grouping factor whose levels are the clusters
  std::vector<int64_t> offsets;  // clusters + 1: cluster c holds entries [offsets[c], offsets[c+1])
  std::vector<int64_t> rows;     // per entry: model-frame row (within a cluster by increasing time)
  std::vector<double> time;      // per entry: time value (0 without a time variable)
  std::vector<int32_t> time_id;  // per entry: index into time_levels (identifier rules), else 0
  std::vector<double> time_levels;     // sorted distinct time values (identifier rules)
  std::vector<int32_t> by;             // per entry: by level, 0 without a by variable
  std::vector<std::string> by_labels;  // by levels in sorted order; empty without by
  std::vector<int32_t> cluster_by;     // per cluster: its by level (-1: varies, independent only)
  int64_t max_size = 0;                // largest cluster
  int64_t max_lag = 0;                 // integer rules: largest time difference within a cluster

  int64_t size() const { return static_cast<int64_t>(offsets.size()) - 1; }
  int num_by() const { return by_labels.empty() ? 1 : static_cast<int>(by_labels.size()); }
};

// `columns` holds (at least) the spec's time and by columns, whole data-frame rows, indexed through
// frame.used_rows. Throws lmm::Error(kUsage/kData) with what and where: no random-effect term, a
// term not nested in the cluster factor, a column that is missing or has missing values in used
// rows, a time value that breaks the structure's rule (integer; nonnegative integer; repeated
// within a cluster), a by variable that varies within a cluster (all but independent).
Clusters BuildClusters(const ModelFrame& frame, const ResidualSpec& spec,
                       const std::vector<Column>& columns);

}  // namespace lmm::residual
