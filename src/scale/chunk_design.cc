#include "scale/chunk_design.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "cluster_math.h"
#include "design/term_columns.h"
#include "design/variable_values.h"
#include "lmm/error.h"

namespace lmm::scale {
namespace {

std::vector<int64_t> Iota(int64_t from, int64_t count) {
  std::vector<int64_t> v(static_cast<size_t>(count));
  std::iota(v.begin(), v.end(), from);
  return v;
}

}  // namespace

ChunkDesigner::ChunkDesigner(const StreamSchema& schema) : schema_(schema) {
  for (const StreamColumn& c : schema.columns)
    if (c.in_design && (c.categorical || c.factor_use))
      exemplars_ = std::max<int64_t>(
          exemplars_, static_cast<int64_t>(c.categorical ? c.levels.size() : c.values.size()));
  const int64_t k = exemplars_;
  exemplar_.source = schema.source;
  exemplar_.rows = k;
  for (const StreamColumn& c : schema.columns) {
    Column out;
    out.name = c.name;
    out.missing.assign(static_cast<size_t>(k), 0);
    if (c.categorical) {
      out.type = ColumnType::kCategorical;
      out.levels = c.levels;
      for (int64_t i = 0; i < k; ++i)
        out.codes.push_back(static_cast<int32_t>(i % static_cast<int64_t>(c.levels.size())));
    } else {
      for (int64_t i = 0; i < k; ++i)
        out.numbers.push_back(c.factor_use && !c.values.empty()
                                  ? c.values[static_cast<size_t>(i) % c.values.size()]
                                  : c.sample);
      out.numeric_cells = k;
    }
    exemplar_.columns.push_back(std::move(out));
  }
  const Formula& f = schema.formula;
  const std::vector<int64_t> rows = Iota(0, k);
  design::TermColumns fixed = design::BuildTermColumns(f.fixed, f.intercept, exemplar_, rows);
  fixed_names_ = fixed.names;
  fixed_term_ = fixed.term;
  design::TermColumns z =
      design::BuildTermColumns(f.random[0].terms, f.random[0].intercept, exemplar_, rows);
  z_names_ = z.names;
  if (z_names_.empty())
    throw UsageError(fmt::format("random term '{}' has no columns", f.random[0].text));
  if (static_cast<int>(z_names_.size()) > kernels::kMaxClusterQ ||
      static_cast<int>(fixed_names_.size()) + 1 > kernels::kMaxClusterW)
    throw UsageError(fmt::format(
        "the streaming build (--memory-limit, mpirun) supports at most {} random-effect columns "
        "and {} fixed effects; this model has {} and {}",
        kernels::kMaxClusterQ, kernels::kMaxClusterW - 1, z_names_.size(), fixed_names_.size()));
  const StreamColumn& g = schema.columns[static_cast<size_t>(schema.grouping)];
  if (g.categorical) {
    cluster_labels_ = g.levels;
  } else {
    for (size_t l = 0; l < g.values.size(); ++l) {
      // As design::EvaluateVariable: past 2^53 distinct whole-number codes could merge.
      if (std::abs(g.values[l]) >= 9007199254740992.0)
        throw DataError(fmt::format(
            "{}: column '{}' is used as a factor, but its value {:.17g} is beyond 2^53, where "
            "doubles cannot tell whole numbers apart: distinct codes would merge into one level; "
            "give the codes a non-digit (e.g. 'id' before each) so that they are read as text",
            schema.source, g.name, g.values[l]));
      cluster_labels_.push_back(design::FormatNumberLikeR(g.values[l]));
      numeric_cluster_.emplace(g.values[l], static_cast<int64_t>(l));
    }
  }
}

DataFrame ChunkDesigner::Combine(const DataFrame& data) const {
  DataFrame out;
  out.source = data.source;
  out.rows = exemplars_ + data.rows;
  for (size_t k = 0; k < schema_.columns.size(); ++k) {
    const StreamColumn& sc = schema_.columns[k];
    const Column& in = *data.Find(sc.name);
    Column c = exemplar_.columns[k];
    c.missing.insert(c.missing.end(), in.missing.begin(), in.missing.end());
    c.first_non_number = in.first_non_number;
    if (sc.categorical) {
      // Chunk level -> global level; levels absent from the used rows occur only in unused rows.
      std::vector<int32_t> remap(in.levels.size(), 0);
      for (size_t l = 0; l < in.levels.size(); ++l) {
        const auto it = std::lower_bound(sc.levels.begin(), sc.levels.end(), in.levels[l]);
        if (it != sc.levels.end() && *it == in.levels[l])
          remap[l] = static_cast<int32_t>(it - sc.levels.begin());
      }
      c.codes.reserve(static_cast<size_t>(out.rows));
      if (in.type == ColumnType::kCategorical)
        for (int32_t code : in.codes) c.codes.push_back(code < 0 ? 0 : remap[code]);
      else
        c.codes.resize(static_cast<size_t>(out.rows), 0);  // no present cell in this chunk
      c.numeric_cells = 0;
    } else {
      c.numbers.insert(c.numbers.end(), in.numbers.begin(), in.numbers.end());
      c.numeric_cells += in.numeric_cells;
    }
    out.columns.push_back(std::move(c));
  }
  return out;
}

ChunkRows ChunkDesigner::Build(const DataFrame& data) const {
  std::vector<int64_t> ignored(schema_.columns.size(), 0);
  const std::vector<int64_t> used = UsedRows(schema_, data, &ignored);
  const int64_t k = exemplars_;
  const int64_t nu = static_cast<int64_t>(used.size());
  ChunkRows out;
  out.cluster.reserve(used.size());
  const Column& g = *data.Find(schema_.columns[static_cast<size_t>(schema_.grouping)].name);
  if (g.type == ColumnType::kCategorical) {
    std::vector<int64_t> remap(g.levels.size(), -1);
    for (size_t l = 0; l < g.levels.size(); ++l) {
      const auto it = std::lower_bound(cluster_labels_.begin(), cluster_labels_.end(), g.levels[l]);
      if (it != cluster_labels_.end() && *it == g.levels[l])
        remap[l] = it - cluster_labels_.begin();
    }
    for (int64_t r : used) out.cluster.push_back(remap[static_cast<size_t>(g.codes[r])]);
  } else {
    for (int64_t r : used) out.cluster.push_back(numeric_cluster_.at(g.numbers[r]));
  }
  if (nu == 0) return out;
  const DataFrame combined = Combine(data);
  std::vector<int64_t> rows = Iota(0, k);
  for (int64_t r : used) rows.push_back(k + r);
  const Formula& f = schema_.formula;
  out.x = design::BuildTermColumns(f.fixed, f.intercept, combined, rows).values.bottomRows(nu);
  out.z = design::BuildTermColumns(f.random[0].terms, f.random[0].intercept, combined, rows)
              .values.bottomRows(nu);
  rows.erase(rows.begin(), rows.begin() + k);
  const design::VariableValues y =
      design::EvaluateVariable(f.response, combined, rows, design::VariableUse::kNumeric);
  out.y = Eigen::Map<const Eigen::VectorXd>(y.numbers.data(), nu);
  return out;
}

}  // namespace lmm::scale
