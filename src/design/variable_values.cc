#include "design/variable_values.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "io/csv_location.h"
#include "lmm/error.h"

namespace lmm::design {
namespace {

const Column& FindColumn(const DataFrame& data, const std::string& name) {
  const Column* column = data.Find(name);
  if (column == nullptr)
    throw DataError(fmt::format("{}: the formula uses column '{}', which the file does not have",
                                data.source, name));
  return *column;
}

// A categorical column in a numeric role: point at the first cell that is not a number.
[[noreturn]] void ThrowNotNumeric(const DataFrame& data, const Column& column,
                                  const std::string& hint) {
  if (column.first_non_number) {
    const CellRef& cell = *column.first_non_number;
    // Quoted for a one-line message: a cell may hold line breaks (quoted) or be megabytes long.
    throw DataError(fmt::format(
        "{}:{}:{}: column '{}' is used as a number, but {} is not a number{}", data.source,
        cell.line, cell.column, column.name, io::QuoteForMessage(cell.text), hint));
  }
  throw DataError(fmt::format("{}: column '{}' is used as a number, but it is not numeric{}",
                              data.source, column.name, hint));
}

// True when most non-missing cells of a categorical column are numbers: treating it as a factor
// would silently change what the user probably meant.
bool MostlyNumbers(const Column& column) {
  int64_t present = 0;
  for (uint8_t m : column.missing) present += (m == 0);
  return column.numeric_cells > 0 && 2 * column.numeric_cells >= present;
}

VariableValues NumericFactor(const std::vector<double>& x) {
  VariableValues out;
  out.is_factor = true;
  std::vector<double> distinct = x;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  out.codes.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    out.codes[i] = static_cast<int32_t>(
        std::lower_bound(distinct.begin(), distinct.end(), x[i]) - distinct.begin());
  for (double v : distinct) out.levels.push_back(FormatNumberLikeR(v));
  return out;
}

VariableValues CategoricalFactor(const Column& column, const std::vector<int64_t>& rows) {
  VariableValues out;
  out.is_factor = true;
  // Keep only levels present in the used rows, in the column's (byte) order.
  std::vector<int32_t> remap(column.levels.size(), -1);
  for (int64_t r : rows) remap[column.codes[r]] = 0;
  int32_t next = 0;
  for (size_t l = 0; l < remap.size(); ++l)
    if (remap[l] == 0) {
      remap[l] = next++;
      out.levels.push_back(column.levels[l]);
    }
  out.codes.reserve(rows.size());
  for (int64_t r : rows) out.codes.push_back(remap[column.codes[r]]);
  return out;
}

std::vector<double> NumericColumn(const DataFrame& data, const std::string& name,
                                  const std::vector<int64_t>& rows, const std::string& hint) {
  const Column& column = FindColumn(data, name);
  if (column.type != ColumnType::kNumeric) ThrowNotNumeric(data, column, hint);
  std::vector<double> out;
  out.reserve(rows.size());
  for (int64_t r : rows) out.push_back(column.numbers[r]);
  return out;
}

double Apply(Expr::Op op, double a, double b) {
  switch (op) {
    case Expr::Op::kNeg: return -a;
    case Expr::Op::kAdd: return a + b;
    case Expr::Op::kSub: return a - b;
    case Expr::Op::kMul: return a * b;
    case Expr::Op::kDiv: return a / b;
    case Expr::Op::kPow: return std::pow(a, b);
    case Expr::Op::kLog: return std::log(a);
    case Expr::Op::kExp: return std::exp(a);
    case Expr::Op::kSqrt: return std::sqrt(a);
    default: return a;  // parentheses and other unary pass-throughs
  }
}

// Evaluates an I() expression elementwise over the used rows.
std::vector<double> EvaluateExpr(const Expr& expr, const DataFrame& data,
                                 const std::vector<int64_t>& rows) {
  if (expr.op == Expr::Op::kNumber) return std::vector<double>(rows.size(), expr.number);
  if (expr.op == Expr::Op::kColumn) return NumericColumn(data, expr.column, rows, "");
  std::vector<std::vector<double>> args;
  for (const Expr& arg : expr.args) args.push_back(EvaluateExpr(arg, data, rows));
  if (args.empty()) throw Error(ErrorKind::kInternal, "expression without operands");
  std::vector<double> out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    out[i] = Apply(expr.op, args[0][i], args.size() > 1 ? args[1][i] : 0.0);
  return out;
}

}  // namespace

std::string FormatNumberLikeR(double value) {
  if (value == 0) return "0";
  // Fewest significant digits (<= 15) that reproduce the value at 15-digit precision, as R does.
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.14e", value);
  const double target = std::strtod(buf, nullptr);
  int digits = 1;
  for (; digits < 15; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*e", digits - 1, value);
    if (std::strtod(buf, nullptr) == target) break;
  }
  std::snprintf(buf, sizeof buf, "%.*e", digits - 1, value);
  const std::string sci_raw = buf;
  const int exponent = std::atoi(sci_raw.c_str() + sci_raw.find('e') + 1);
  const int decimals = std::max(0, digits - 1 - exponent);
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  const std::string fixed = buf;
  // R writes the exponent with at least two digits: 1e+05, 1.5e-10.
  std::string mantissa = sci_raw.substr(0, sci_raw.find('e'));
  const std::string sci = fmt::format("{}e{}{:02d}", mantissa, exponent < 0 ? '-' : '+',
                                      std::abs(exponent));
  return fixed.size() <= sci.size() ? fixed : sci;
}

VariableValues EvaluateVariable(const Variable& variable, const DataFrame& data,
                                const std::vector<int64_t>& rows, VariableUse use) {
  VariableValues out;
  if (variable.kind == Variable::Kind::kExpr) {
    if (use == VariableUse::kGrouping)
      throw UsageError(fmt::format("'{}' cannot be a grouping factor", variable.label));
    out.numbers = EvaluateExpr(variable.expr, data, rows);
    for (size_t i = 0; i < rows.size(); ++i)
      if (!std::isfinite(out.numbers[i]))
        throw DataError(fmt::format("{}:{}: {} is {} on this row; only finite values can be fitted",
                                    data.source, data.row_line.empty() ? 0 : data.row_line[rows[i]],
                                    variable.label, out.numbers[i]));
  } else {
    const Column& column = FindColumn(data, variable.column);
    const bool want_factor = variable.kind == Variable::Kind::kFactor ||
                             use == VariableUse::kGrouping ||
                             (use == VariableUse::kTerm && column.type == ColumnType::kCategorical);
    if (column.type == ColumnType::kCategorical && use != VariableUse::kGrouping &&
        variable.kind == Variable::Kind::kColumn &&
        (use == VariableUse::kNumeric || MostlyNumbers(column)))
      ThrowNotNumeric(data, column,
                      use == VariableUse::kTerm
                          ? fmt::format(" (write factor({}) to use it as categorical)", column.name)
                          : "");
    if (!want_factor) {
      out.numbers = NumericColumn(data, variable.column, rows, "");
    } else if (column.type == ColumnType::kNumeric) {
      // Past 2^53 doubles do not hold every whole number: codes such as 64-bit IDs would merge
      // into one level silently (R's read.csv merges them too).
      constexpr double kExactIntegers = 9007199254740992.0;
      for (int64_t r : rows)
        if (std::abs(column.numbers[r]) >= kExactIntegers)
          throw DataError(fmt::format(
              "{}:{}: column '{}' is used as a factor, but its value on this line (read as "
              "{:.17g}) is beyond 2^53, where doubles cannot tell whole numbers apart: distinct "
              "codes would merge into one level; give the codes a non-digit (e.g. 'id' before "
              "each) so that they are read as text",
              data.source, data.row_line.empty() ? 0 : data.row_line[r], column.name,
              column.numbers[r]));
      out = NumericFactor(NumericColumn(data, variable.column, rows, ""));
    } else {
      out = CategoricalFactor(column, rows);
    }
  }
  out.label = variable.label;
  return out;
}

}  // namespace lmm::design
