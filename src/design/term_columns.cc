#include "design/term_columns.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

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

// The columns one variable contributes to a term: its numbers, or indicators of its levels
// (all levels, or all but the first under treatment contrasts).
struct Piece {
  std::vector<std::string> names;
  std::vector<std::vector<double>> columns;
};

Piece VariablePiece(const VariableValues& values, bool contrasts) {
  Piece piece;
  if (!values.is_factor) {
    piece.names.push_back(values.label);
    piece.columns.push_back(values.numbers);
    return piece;
  }
  const size_t first = contrasts ? 1 : 0;
  for (size_t level = first; level < values.levels.size(); ++level) {
    piece.names.push_back(values.label + values.levels[level]);
    std::vector<double> column(values.codes.size());
    for (size_t i = 0; i < column.size(); ++i)
      column[i] = values.codes[i] == static_cast<int32_t>(level) ? 1.0 : 0.0;
    piece.columns.push_back(std::move(column));
  }
  return piece;
}

}  // namespace

TermColumns BuildTermColumns(const std::vector<Term>& terms, bool intercept, const DataFrame& data,
                             const std::vector<int64_t>& rows) {
  std::map<std::string, VariableValues> values;
  for (const Term& term : terms)
    for (const Variable& v : term.variables)
      if (!values.count(v.label))
        values.emplace(v.label, EvaluateVariable(v, data, rows, VariableUse::kTerm));

  std::vector<std::string> names;
  std::vector<std::vector<double>> columns;
  std::vector<int> column_term;
  if (intercept) {
    names.push_back("(Intercept)");
    columns.emplace_back(rows.size(), 1.0);
    column_term.push_back(-1);
  }
  bool indicator_coding_pending = !intercept;  // R's no-intercept rule, applied once
  std::vector<LabelSet> earlier;
  for (const Term& term : terms) {
    const LabelSet labels = Labels(term);
    std::vector<std::string> term_names = {""};
    std::vector<std::vector<double>> term_columns = {std::vector<double>(rows.size(), 1.0)};
    for (const Variable& v : term.variables) {
      const VariableValues& vv = values.at(v.label);
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
      const Piece piece = VariablePiece(vv, contrasts);
      // Earlier variables vary fastest: new columns are (old column) x (this piece's column).
      std::vector<std::string> next_names;
      std::vector<std::vector<double>> next_columns;
      for (size_t k = 0; k < piece.names.size(); ++k)
        for (size_t j = 0; j < term_names.size(); ++j) {
          next_names.push_back(term_names[j].empty() ? piece.names[k]
                                                     : term_names[j] + ":" + piece.names[k]);
          std::vector<double> column(rows.size());
          for (size_t i = 0; i < column.size(); ++i)
            column[i] = term_columns[j][i] * piece.columns[k][i];
          next_columns.push_back(std::move(column));
        }
      term_names = std::move(next_names);
      term_columns = std::move(next_columns);
    }
    names.insert(names.end(), term_names.begin(), term_names.end());
    column_term.insert(column_term.end(), term_names.size(), static_cast<int>(earlier.size()));
    for (auto& c : term_columns) columns.push_back(std::move(c));
    earlier.push_back(labels);
  }

  TermColumns out;
  out.names = std::move(names);
  out.term = std::move(column_term);
  out.values.resize(static_cast<Eigen::Index>(rows.size()),
                    static_cast<Eigen::Index>(columns.size()));
  for (size_t j = 0; j < columns.size(); ++j)
    out.values.col(static_cast<Eigen::Index>(j)) =
        Eigen::Map<const Eigen::VectorXd>(columns[j].data(), static_cast<Eigen::Index>(rows.size()));
  return out;
}

}  // namespace lmm::design
