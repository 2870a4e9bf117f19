#include "scale/stream_schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <set>
#include <unordered_set>

#include "design/variable_values.h"
#include "lmm/error.h"

namespace lmm::scale {
namespace {

int IndexOf(const StreamSchema& schema, const std::string& name) {
  for (size_t k = 0; k < schema.columns.size(); ++k)
    if (schema.columns[k].name == name) return static_cast<int>(k);
  return -1;
}

void MarkExpr(StreamSchema& schema, const Expr& expr) {
  if (expr.op == Expr::Op::kColumn) schema.columns[IndexOf(schema, expr.column)].in_design = true;
  for (const Expr& arg : expr.args) MarkExpr(schema, arg);
}

void MarkTerms(StreamSchema& schema, const std::vector<Term>& terms) {
  for (const Term& term : terms)
    for (const Variable& v : term.variables) {
      if (v.kind == Variable::Kind::kExpr) {
        MarkExpr(schema, v.expr);
        continue;
      }
      StreamColumn& c = schema.columns[IndexOf(schema, v.column)];
      c.in_design = true;
      if (v.kind == Variable::Kind::kFactor) c.factor_use = true;
    }
}

StreamSchema EmptySchema(const Formula& formula, const std::string& source) {
  StreamSchema s;
  s.formula = formula;
  s.source = source;
  for (const std::string& name : formula.Columns()) {
    StreamColumn c;
    c.name = name;
    s.columns.push_back(std::move(c));
  }
  s.dropped.assign(s.columns.size(), 0);
  MarkTerms(s, formula.fixed);
  MarkTerms(s, formula.random[0].terms);
  s.grouping = IndexOf(s, formula.random[0].grouping[0].column);
  s.columns[s.grouping].factor_use = true;
  return s;
}

// Per process, before merging.
struct LocalScan {
  std::vector<std::set<std::string>> levels;
  std::vector<std::unordered_set<double>> values;
  std::vector<int64_t> numeric_seen;  // chunks typed numeric with a present cell
  std::vector<int64_t> categorical;
  std::vector<double> sample;  // NaN until seen
  double y_min = std::numeric_limits<double>::infinity();
  double y_max = -std::numeric_limits<double>::infinity();
};

void ScanChunk(const DataFrame& df, StreamSchema& s, LocalScan& local) {
  const std::vector<int64_t> rows = UsedRows(s, df, &s.dropped);
  s.rows_read += df.rows;
  s.rows_used += static_cast<int64_t>(rows.size());
  for (size_t k = 0; k < s.columns.size(); ++k) {
    const StreamColumn& sc = s.columns[k];
    const Column& c = *df.Find(sc.name);
    if (c.type == ColumnType::kCategorical) {
      local.categorical[k] = 1;
      std::vector<uint8_t> present(c.levels.size(), 0);
      for (int64_t r : rows) present[static_cast<size_t>(c.codes[r])] = 1;
      for (size_t l = 0; l < present.size(); ++l)
        if (present[l]) local.levels[k].insert(c.levels[l]);
      continue;
    }
    if (c.numeric_cells > 0) local.numeric_seen[k] = 1;
    if (rows.empty()) continue;
    if (std::isnan(local.sample[k])) local.sample[k] = c.numbers[rows[0]];
    if (sc.factor_use)
      for (int64_t r : rows) local.values[k].insert(c.numbers[r]);
  }
  if (rows.empty()) return;
  const Column* response = s.formula.response.kind == Variable::Kind::kColumn
                               ? df.Find(s.formula.response.column)
                               : nullptr;
  if (response != nullptr && !response->remainders.empty())
    throw DataError(
        fmt::format("{}: the response '{}' has more digits than doubles hold; the "
                    "streaming build (--memory-limit) does not support such data: "
                    "fit it in memory",
                    s.source, response->name));
  const design::VariableValues y =
      design::EvaluateVariable(s.formula.response, df, rows, design::VariableUse::kNumeric);
  for (double v : y.numbers) {
    local.y_min = std::min(local.y_min, v);
    local.y_max = std::max(local.y_max, v);
  }
}

void Merge(StreamSchema& s, LocalScan& local, Collective& collective) {
  const size_t m = s.columns.size();
  std::vector<int64_t> counts = {s.rows_read, s.rows_used};
  counts.insert(counts.end(), s.dropped.begin(), s.dropped.end());
  counts.insert(counts.end(), local.numeric_seen.begin(), local.numeric_seen.end());
  counts.insert(counts.end(), local.categorical.begin(), local.categorical.end());
  collective.SumInt64(counts);
  s.rows_read = counts[0];
  s.rows_used = counts[1];
  for (size_t k = 0; k < m; ++k) {
    s.dropped[k] = counts[2 + k];
    const bool numeric_seen = counts[2 + m + k] > 0;
    StreamColumn& c = s.columns[k];
    c.categorical = counts[2 + 2 * m + k] > 0;
    if (c.categorical && numeric_seen)
      throw DataError(
          fmt::format("{}: column '{}' holds only numbers in some chunks and text in "
                      "others; the streaming build (--memory-limit) cannot type it "
                      "as the in-memory reader would: fit it in memory",
                      s.source, c.name));
    if (c.categorical) {
      const std::vector<std::string> all = collective.GatherStrings(
          std::vector<std::string>(local.levels[k].begin(), local.levels[k].end()));
      const std::set<std::string> merged(all.begin(), all.end());
      c.levels.assign(merged.begin(), merged.end());
    } else {
      if (c.factor_use) {
        const std::vector<double> mine(local.values[k].begin(), local.values[k].end());
        c.values = collective.GatherDoubles(mine);
        std::sort(c.values.begin(), c.values.end());
        c.values.erase(std::unique(c.values.begin(), c.values.end()), c.values.end());
      }
      const double one[1] = {local.sample[k]};
      for (double v : collective.GatherDoubles(one))
        if (!std::isnan(v)) {
          c.sample = v;
          break;
        }
    }
  }
  double range[2] = {local.y_min, -local.y_max};
  collective.MinDouble(range);
  if (s.rows_used == 0)
    throw DataError(
        fmt::format("{}: no rows left: every row has a missing value in a column the "
                    "formula uses",
                    s.source));
  if (range[0] == -range[1])
    throw DataError(
        fmt::format("{}: the response '{}' is constant ({}) in the rows used: there is "
                    "no variation to model",
                    s.source, s.formula.response.label, range[0]));
}

}  // namespace

void CheckStreamable(const Formula& formula) {
  if (formula.random.size() != 1)
    throw UsageError(
        fmt::format("the streaming build (--memory-limit, mpirun) supports models "
                    "with exactly one random-effect term; this formula has {}",
                    formula.random.size()));
  const RandomTerm& term = formula.random[0];
  if (term.grouping.size() != 1 || term.grouping[0].kind == Variable::Kind::kExpr)
    throw UsageError(
        "the streaming build (--memory-limit, mpirun) supports a grouping factor "
        "that is one column, not '" +
        term.group_label + "'");
}

std::vector<int64_t> UsedRows(const StreamSchema& schema, const DataFrame& data,
                              std::vector<int64_t>* dropped) {
  std::vector<const Column*> used;
  for (const StreamColumn& c : schema.columns) {
    const Column* column = data.Find(c.name);
    if (column == nullptr)
      throw DataError(fmt::format("{}: the formula uses column '{}', which the file does not have",
                                  schema.source, c.name));
    used.push_back(column);
  }
  std::vector<int64_t> rows;
  rows.reserve(static_cast<size_t>(data.rows));
  for (int64_t r = 0; r < data.rows; ++r) {
    size_t k = 0;
    while (k < used.size() && !used[k]->missing[static_cast<size_t>(r)]) ++k;
    if (k == used.size())
      rows.push_back(r);
    else
      ++(*dropped)[k];
  }
  return rows;
}

DataFrame ParseChunk(const std::string& chunk, const StreamSchema& schema, const CsvOptions& csv) {
  CsvOptions options = csv;
  std::vector<std::string> keep;
  for (const StreamColumn& c : schema.columns) keep.push_back(c.name);
  options.keep = keep;
  return ParseCsv(chunk, schema.source, options);
}

StreamSchema ScanSchema(const Formula& formula, const CsvLayout& layout, int64_t begin, int64_t end,
                        const ScanOptions& options, Collective& collective) {
  CheckStreamable(formula);
  StreamSchema s = EmptySchema(formula, layout.path);
  const size_t m = s.columns.size();
  LocalScan local;
  local.levels.resize(m);
  local.values.resize(m);
  local.numeric_seen.assign(m, 0);
  local.categorical.assign(m, 0);
  local.sample.assign(m, std::numeric_limits<double>::quiet_NaN());
  ChunkReader reader(layout, begin, end, options.chunk_bytes);
  std::string chunk;
  while (reader.Next(&chunk)) ScanChunk(ParseChunk(chunk, s, options.csv), s, local);
  Merge(s, local, collective);
  return s;
}

}  // namespace lmm::scale
