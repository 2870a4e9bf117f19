#include "design/term_columns.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "design/variable_values.h"
#include "lmm/error.h"

namespace lmm::design {
namespace {

using LabelSet = std::set<std::string>;

LabelSet Labels(const Term& term) {
  LabelSet out;
  for (const Variable& v : term.variables) out.insert(v.label);
  return out;
}

// R's TermCode: does `margin` (a term without one of its factors) count as present, i.e. is it
// empty or contained in one of the earlier terms?
bool MarginPresent(const LabelSet& margin, const std::vector<LabelSet>& earlier) {
  if (margin.empty()) return true;
  return std::any_of(earlier.begin(), earlier.end(), [&](const LabelSet& t) {
    return std::includes(t.begin(), t.end(), margin.begin(), margin.end());
  });
}

// A variable's values on the used rows. A plain numeric column is read in place (`column`, at
// `rows`) rather than copied; anything else is evaluated by EvaluateVariable.
struct Values {
  VariableValues evaluated;
  const std::vector<double>* column = nullptr;
};

Values Evaluate(const Variable& v, const DataFrame& data, const std::vector<int64_t>& rows) {
  Values out;
  const Column* column = v.kind == Variable::Kind::kColumn ? data.Find(v.column) : nullptr;
  if (column != nullptr && column->type == ColumnType::kNumeric) {
    out.evaluated.label = v.label;  // what EvaluateVariable would give, without the copy
    out.column = &column->numbers;
  } else {
    out.evaluated = EvaluateVariable(v, data, rows, VariableUse::kTerm);
  }
  return out;
}

// One factor of a model-matrix column: a numeric variable's values, or the indicator of one
// level of a factor.
struct Factor {
  const Values* values = nullptr;
  int32_t level = -1;  // -1: numeric
};

// The factors of one column; empty for the intercept.
using ColumnFactors = std::vector<Factor>;

// The columns one variable contributes to a term: itself, or indicators of its levels (all
// levels, or all but the first under treatment contrasts).
std::vector<std::pair<std::string, Factor>> VariablePieces(const Values& values, bool contrasts) {
  const VariableValues& vv = values.evaluated;
  if (!vv.is_factor) return {{vv.label, Factor{&values, -1}}};
  std::vector<std::pair<std::string, Factor>> pieces;
  for (size_t level = contrasts ? 1 : 0; level < vv.levels.size(); ++level)
    pieces.emplace_back(vv.label + vv.levels[level], Factor{&values, static_cast<int32_t>(level)});
  return pieces;
}

// Fills `out` with the product of the factors, formed left to right from 1 (as R's
// model.matrix multiplies the variables' columns of an interaction).
void FillColumn(const ColumnFactors& factors, const std::vector<int64_t>& rows,
                Eigen::Ref<Eigen::VectorXd> out) {
  const Eigen::Index n = out.size();
  if (factors.size() == 1 && factors[0].level < 0 && factors[0].values->column != nullptr) {
    const double* x = factors[0].values->column->data();
    for (Eigen::Index i = 0; i < n; ++i) out(i) = x[rows[i]];
    return;
  }
  out.setOnes();
  for (const Factor& f : factors) {
    if (f.level >= 0) {
      const int32_t* code = f.values->evaluated.codes.data();
      for (Eigen::Index i = 0; i < n; ++i) out(i) *= code[i] == f.level ? 1.0 : 0.0;
    } else if (f.values->column != nullptr) {
      const double* x = f.values->column->data();
      for (Eigen::Index i = 0; i < n; ++i) out(i) *= x[rows[i]];
    } else {
      const double* x = f.values->evaluated.numbers.data();
      for (Eigen::Index i = 0; i < n; ++i) out(i) *= x[i];
    }
  }
}

}  // namespace

TermColumns BuildTermColumns(const std::vector<Term>& terms, bool intercept, const DataFrame& data,
                             const std::vector<int64_t>& rows) {
  std::map<std::string, Values> values;
  for (const Term& term : terms)
    for (const Variable& v : term.variables)
      if (!values.count(v.label)) values.emplace(v.label, Evaluate(v, data, rows));

  TermColumns out;
  std::vector<ColumnFactors> columns;
  if (intercept) {
    out.names.push_back("(Intercept)");
    columns.emplace_back();
    out.term.push_back(-1);
  }
  bool indicator_coding_pending = !intercept;  // R's no-intercept rule, applied once
  std::vector<LabelSet> earlier;
  for (const Term& term : terms) {
    const LabelSet labels = Labels(term);
    std::vector<std::string> term_names = {""};
    std::vector<ColumnFactors> term_columns = {{}};
    for (const Variable& v : term.variables) {
      const Values& value = values.at(v.label);
      const VariableValues& vv = value.evaluated;
      bool contrasts = false;
      if (vv.is_factor) {
        if (indicator_coding_pending) {
          indicator_coding_pending = false;
        } else {
          LabelSet margin = labels;
          margin.erase(v.label);
          contrasts = MarginPresent(margin, earlier);
        }
        if (vv.levels.size() < 2 && contrasts)
          throw DataError(fmt::format(
              "{}: '{}' has only one level in the rows used; a factor needs two or more",
              data.source, v.label));
      }
      // Earlier variables vary fastest: new columns are (old column) x (this piece's column).
      std::vector<std::string> next_names;
      std::vector<ColumnFactors> next_columns;
      for (const auto& [name, factor] : VariablePieces(value, contrasts))
        for (size_t j = 0; j < term_names.size(); ++j) {
          next_names.push_back(term_names[j].empty() ? name : term_names[j] + ":" + name);
          next_columns.push_back(term_columns[j]);
          next_columns.back().push_back(factor);
        }
      term_names = std::move(next_names);
      term_columns = std::move(next_columns);
    }
    out.names.insert(out.names.end(), term_names.begin(), term_names.end());
    out.term.insert(out.term.end(), term_names.size(), static_cast<int>(earlier.size()));
    columns.insert(columns.end(), term_columns.begin(), term_columns.end());
    earlier.push_back(labels);
  }

  out.values.resize(static_cast<Eigen::Index>(rows.size()),
                    static_cast<Eigen::Index>(columns.size()));
  for (size_t j = 0; j < columns.size(); ++j)
    FillColumn(columns[j], rows, out.values.col(static_cast<Eigen::Index>(j)));
  return out;
}

}  // namespace lmm::design
