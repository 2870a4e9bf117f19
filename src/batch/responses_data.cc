#include "batch/responses_data.h"

#include <fmt/format.h>

#include <cmath>

#include "design/variable_values.h"
#include "lmm/error.h"
#include "lmm/formula.h"

namespace lmm::batch {

DataFrame SelectDataRows(const DataFrame& data, const std::vector<int64_t>& rows) {
  DataFrame out;
  out.source = data.source;
  out.rows = static_cast<int64_t>(rows.size());
  for (int64_t r : rows) out.row_line.push_back(data.row_line[static_cast<size_t>(r)]);
  for (const Column& c : data.columns) {
    Column s;
    s.name = c.name;
    s.type = c.type;
    s.levels = c.levels;
    s.numeric_cells = c.numeric_cells;
    s.first_non_number = c.first_non_number;
    for (int64_t r : rows) {
      const auto i = static_cast<size_t>(r);
      s.missing.push_back(c.missing[i]);
      if (!c.numbers.empty()) s.numbers.push_back(c.numbers[i]);
      if (!c.remainders.empty()) s.remainders.push_back(c.remainders[i]);
      if (!c.codes.empty()) s.codes.push_back(c.codes[i]);
    }
    out.columns.push_back(std::move(s));
  }
  return out;
}

PreparedResponse PrepareResponse(const std::string& formula_text, const DataFrame& data,
                                 const std::vector<int64_t>& rows, bool intercept) {
  const Formula formula = ParseFormula(formula_text);
  const design::VariableValues values =
      design::EvaluateVariable(formula.response, data, rows, design::VariableUse::kNumeric);
  PreparedResponse r;
  r.formula = formula.text;
  r.label = formula.response.label;
  r.y = Eigen::Map<const Eigen::VectorXd>(values.numbers.data(),
                                          static_cast<Eigen::Index>(rows.size()));
  const Column* column = formula.response.kind == Variable::Kind::kColumn
                             ? data.Find(formula.response.column)
                             : nullptr;
  if (column != nullptr && !column->remainders.empty()) {
    const double c = r.y(0);
    for (Eigen::Index i = 0; i < r.y.size(); ++i)
      r.y(i) = (r.y(i) - c) + column->remainders[static_cast<size_t>(rows[i])];
    r.offset = c;
    if (!intercept) {
      r.y.array() += r.offset;
      r.offset = 0;
    }
  }
  // As BuildModelFrame: the response's sum of squares must be a finite double.
  if (!std::isfinite(r.y.squaredNorm()))
    throw DataError(
        fmt::format("{}: the response '{}' has values too large to fit (|value| up to "
                    "{:.3g}: its sum of squares overflows a double); rescale it",
                    data.source, r.label, r.y.cwiseAbs().maxCoeff()));
  if (r.y.maxCoeff() == r.y.minCoeff())
    throw DataError(
        fmt::format("{}: the response '{}' is constant ({}) in the rows used: there is "
                    "no variation to model",
                    data.source, r.label, r.y(0)));
  return r;
}

}  // namespace lmm::batch
