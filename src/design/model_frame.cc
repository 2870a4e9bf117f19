// BuildModelFrame: rows used, response, fixed-effects matrix and random-effect terms, with lme4's
// identifiability checks.
#include "lmm/model_frame.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "design/aliasing.h"
#include "design/grouping.h"
#include "design/term_columns.h"
#include "design/variable_values.h"
#include "lmm/error.h"

namespace lmm {
namespace {

// Keeps the rows where no column the formula uses is missing; counts the others under the first
// such column in formula order.
void SelectRows(const Formula& formula, const DataFrame& data, ModelFrame& frame) {
  std::vector<const Column*> used;
  for (const std::string& name : formula.Columns()) {
    const Column* column = data.Find(name);
    if (column == nullptr)
      throw DataError(fmt::format("{}: the formula uses column '{}', which the file does not have",
                                  data.source, name));
    used.push_back(column);
  }
  std::vector<int64_t> dropped(used.size(), 0);
  frame.used_rows.reserve(static_cast<size_t>(data.rows));
  for (int64_t r = 0; r < data.rows; ++r) {
    size_t k = 0;
    while (k < used.size() && !used[k]->missing[static_cast<size_t>(r)]) ++k;
    if (k == used.size())
      frame.used_rows.push_back(r);
    else
      ++dropped[k];
  }
  for (size_t k = 0; k < used.size(); ++k)
    if (dropped[k] > 0) frame.rows_dropped.emplace_back("missing " + used[k]->name, dropped[k]);
  frame.rows_read = data.rows;
  frame.rows_used = static_cast<int64_t>(frame.used_rows.size());
  if (frame.rows_used == 0) {
    std::string reasons;  // "missing z: 6", as describe reports the dropped rows
    for (const auto& [reason, count] : frame.rows_dropped)
      reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : ", ", reason, count);
    throw DataError(fmt::format("{}: no rows left: every row has a missing value in a column the "
                                "formula uses ({})",
                                data.source, reasons));
  }
}

// Every sum of squares the engines form must be a finite double; a column past about 1e154 in
// magnitude overflows it (and would look aliased: its norm is infinite).
void CheckMagnitude(const DataFrame& data, const std::string& what,
                    const Eigen::Ref<const Eigen::VectorXd>& v) {
  if (std::isfinite(v.squaredNorm())) return;
  throw DataError(
      fmt::format("{}: {} has values too large to fit (|value| up to {:.3g}: its sum of "
                  "squares overflows a double); rescale it",
                  data.source, what, v.cwiseAbs().maxCoeff()));
}

void BuildResponse(const Formula& formula, const DataFrame& data, ModelFrame& frame) {
  frame.response = formula.response.label;
  const Column* column = formula.response.kind == Variable::Kind::kColumn
                             ? data.Find(formula.response.column)
                             : nullptr;
  if (column != nullptr && column->type == ColumnType::kNumeric) {  // read in place, no copy
    frame.y.resize(frame.rows_used);
    for (Eigen::Index i = 0; i < frame.y.size(); ++i)
      frame.y(i) = column->numbers[static_cast<size_t>(frame.used_rows[i])];
  } else {
    const design::VariableValues y = design::EvaluateVariable(
        formula.response, data, frame.used_rows, design::VariableUse::kNumeric);
    frame.y = Eigen::Map<const Eigen::VectorXd>(y.numbers.data(), frame.rows_used);
  }
  // Where the file's decimals hold more digits than the doubles, subtract the first value in
  // double-double arithmetic: (x_i - c) is exact for x_i within a factor 2 of c, then the lost
  // remainder is added back.
  if (column != nullptr && !column->remainders.empty()) {
    const double c = frame.y(0);
    for (Eigen::Index i = 0; i < frame.y.size(); ++i)
      frame.y(i) = (frame.y(i) - c) + column->remainders[static_cast<size_t>(frame.used_rows[i])];
    frame.response_offset = c;
  }
  CheckMagnitude(data, "the response '" + frame.response + "'", frame.y);
  if (frame.y.maxCoeff() == frame.y.minCoeff())
    throw DataError(fmt::format("{}: the response '{}' is constant ({}) in the rows used: there is "
                                "no variation to model",
                                data.source, frame.response, frame.y(0)));
}

void BuildFixed(const Formula& formula, const DataFrame& data, ModelFrame& frame) {
  design::TermColumns fixed =
      design::BuildTermColumns(formula.fixed, formula.intercept, data, frame.used_rows);
  for (Eigen::Index j = 0; j < fixed.values.cols(); ++j)
    CheckMagnitude(data, "fixed-effect column '" + fixed.names[static_cast<size_t>(j)] + "'",
                   fixed.values.col(j));
  const std::vector<int> aliased = design::AliasedColumns(fixed.values);
  std::vector<Eigen::Index> keep;
  for (Eigen::Index j = 0; j < fixed.values.cols(); ++j) {
    if (std::find(aliased.begin(), aliased.end(), j) != aliased.end())
      frame.aliased.push_back(fixed.names[static_cast<size_t>(j)]);
    else
      keep.push_back(j);
  }
  if (aliased.empty()) {
    frame.x = std::move(fixed.values);
  } else {
    frame.x.resize(frame.rows_used, static_cast<Eigen::Index>(keep.size()));
    for (size_t k = 0; k < keep.size(); ++k)
      frame.x.col(static_cast<Eigen::Index>(k)) = fixed.values.col(keep[k]);
  }
  for (const Eigen::Index j : keep) {
    frame.fixed_names.push_back(fixed.names[static_cast<size_t>(j)]);
    frame.fixed_term.push_back(fixed.term[static_cast<size_t>(j)]);
  }
  for (const Term& term : formula.fixed) frame.fixed_term_labels.push_back(term.Label());
}

void BuildRandom(const Formula& formula, const DataFrame& data, ModelFrame& frame) {
  std::map<std::string, int> seen;  // lme4 names repeated groups "g", "g.1", "g.2"
  for (const RandomTerm& term : formula.random) {
    RandomEffectTerm re;
    const int copy = seen[term.group_label]++;
    re.group = copy == 0 ? term.group_label : fmt::format("{}.{}", term.group_label, copy);
    re.grouping_factor = term.group_label;
    re.structure = term.structure;
    re.homogeneous = term.homogeneous;
    design::TermColumns z = design::BuildTermColumns(term.terms, term.intercept, data,
                                                     frame.used_rows);
    if (z.names.empty())
      throw UsageError(fmt::format("random term '{}' has no columns", term.text));
    for (Eigen::Index j = 0; j < z.values.cols(); ++j) {
      const std::string what = "column '" + z.names[static_cast<size_t>(j)] + "' of " + term.text;
      CheckMagnitude(data, what, z.values.col(j));
      // Its variance would not enter the likelihood: any value fits equally (lme4 aborts R).
      if (z.values.col(j).isZero(0.0))
        throw DataError(
            fmt::format("{}: {} is zero in every row used: its variance cannot be "
                        "estimated; remove it from the random term",
                        data.source, what));
    }
    re.names = std::move(z.names);
    re.z = std::move(z.values);
    design::GroupingFactor g = design::BuildGroupingFactor(term.grouping, data, frame.used_rows);
    re.level = std::move(g.level);
    re.level_labels = std::move(g.labels);
    re.levels = static_cast<int64_t>(re.level_labels.size());
    // lme4's checks (lmerControl defaults check.nlev.gtr.1, check.nobs.vs.nlev, check.nobs.vs.nRE).
    if (re.levels < 2)
      throw DataError(fmt::format("{}: grouping factor '{}' of {} has {} level in the rows used; it "
                                  "needs at least 2",
                                  data.source, re.grouping_factor, term.text, re.levels));
    if (re.levels >= frame.rows_used)
      throw DataError(fmt::format("{}: grouping factor '{}' has {} levels for {} observations; the "
                                  "number of levels must be less than the number of observations",
                                  data.source, re.grouping_factor, re.levels, frame.rows_used));
    if (re.levels * re.q() >= frame.rows_used)
      throw DataError(fmt::format("{}: term {} has {} random effects for {} observations; the "
                                  "variance components are not identifiable",
                                  data.source, term.text, re.levels * re.q(), frame.rows_used));
    frame.random.push_back(std::move(re));
  }
}

void SummarizeGroups(ModelFrame& frame) {
  std::vector<std::string> done;
  for (const RandomEffectTerm& re : frame.random) {
    if (std::find(done.begin(), done.end(), re.grouping_factor) != done.end()) continue;
    done.push_back(re.grouping_factor);
    std::vector<int64_t> counts(static_cast<size_t>(re.levels), 0);
    for (int32_t l : re.level) ++counts[static_cast<size_t>(l)];
    GroupSummary s;
    s.name = re.grouping_factor;
    s.levels = re.levels;
    s.min = *std::min_element(counts.begin(), counts.end());
    s.max = *std::max_element(counts.begin(), counts.end());
    s.mean = static_cast<double>(frame.rows_used) / static_cast<double>(re.levels);
    frame.groups.push_back(s);
  }
  // lme4 lists grouping factors by number of levels, largest first (stable).
  std::stable_sort(frame.groups.begin(), frame.groups.end(),
                   [](const GroupSummary& a, const GroupSummary& b) { return a.levels > b.levels; });
}

}  // namespace

ModelFrame BuildModelFrame(const Formula& formula, const DataFrame& data) {
  ModelFrame frame;
  frame.formula = formula.text;
  SelectRows(formula, data, frame);
  BuildResponse(formula, data, frame);
  BuildFixed(formula, data, frame);
  // The offset only moves the intercept; without one, put it back into y.
  if (frame.response_offset != 0 &&
      std::find(frame.fixed_names.begin(), frame.fixed_names.end(), "(Intercept)") ==
          frame.fixed_names.end()) {
    frame.y.array() += frame.response_offset;
    frame.response_offset = 0;
  }
  BuildRandom(formula, data, frame);
  SummarizeGroups(frame);
  return frame;
}

}  // namespace lmm
