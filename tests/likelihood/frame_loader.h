// Test-only construction of ModelFrames from the shared CSV files, standing in for
// BuildModelFrame (src/design) so that the likelihood can be tested on its own. Header-only so the
// benchmarks can include it too. Handles what the reference formulas need: numeric columns,
// factor(x) or non-numeric columns as treatment contrasts, interactions of a numeric and a
// categorical variable, and random terms `(1 + x | g1:g2)`.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "lmm/model_frame.h"

namespace lmm::test {

// A CSV file as strings (quotes removed), column by column.
struct Table {
  std::vector<std::string> names;
  std::vector<std::vector<std::string>> columns;

  int64_t rows() const { return columns.empty() ? 0 : static_cast<int64_t>(columns[0].size()); }
  const std::vector<std::string>& Column(const std::string& name) const {
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return columns[i];
    throw std::runtime_error("test table: no column " + name);
  }
  static bool IsNumber(const std::string& s, double* value) {
    if (s.empty()) return false;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size()) return false;
    if (value != nullptr) *value = v;
    return true;
  }
  bool IsNumeric(const std::string& name) const {
    for (const std::string& s : Column(name))
      if (!IsNumber(s, nullptr)) return false;
    return true;
  }
  std::vector<double> Numbers(const std::string& name) const {
    std::vector<double> out;
    for (const std::string& s : Column(name)) {
      double v = 0;
      if (!IsNumber(s, &v)) throw std::runtime_error("test table: not a number in " + name);
      out.push_back(v);
    }
    return out;
  }

  static Table Read(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("test table: cannot open " + path);
    Table t;
    std::string line;
    auto split = [](const std::string& l) {
      std::vector<std::string> cells;
      std::string cell;
      std::stringstream ss(l);
      while (std::getline(ss, cell, ',')) {
        if (!cell.empty() && cell.back() == '\r') cell.pop_back();
        if (cell.size() >= 2 && cell.front() == '"' && cell.back() == '"')
          cell = cell.substr(1, cell.size() - 2);
        cells.push_back(cell);
      }
      return cells;
    };
    std::getline(in, line);
    t.names = split(line);
    t.columns.resize(t.names.size());
    while (std::getline(in, line)) {
      if (line.empty() || line == "\r") continue;
      const std::vector<std::string> cells = split(line);
      for (size_t i = 0; i < t.names.size(); ++i) t.columns[i].push_back(cells.at(i));
    }
    return t;
  }
};

// One variable of a fixed term: a numeric column, or categorical ("factor(x)" or a column that
// is not numeric).
struct RandomSpec {
  std::string group;                 // "Subject", "cask:batch" (interaction of columns)
  std::vector<std::string> columns;  // "1" for the intercept, else numeric columns
  CovStructure structure = CovStructure::kUnstructured;
  bool homogeneous = false;
};

struct FrameSpec {
  std::string response;
  bool intercept = true;
  std::vector<std::vector<std::string>> fixed;  // terms as lists of variables
  std::vector<RandomSpec> random;
};

inline std::vector<std::string> SplitColon(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == ':') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

// Levels of a categorical variable in R's order (numeric order for numbers, else byte order).
inline std::vector<std::string> SortedLevels(const std::vector<std::string>& cells) {
  std::vector<std::string> levels(cells);
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  bool numeric = true;
  for (const std::string& l : levels) numeric = numeric && Table::IsNumber(l, nullptr);
  if (numeric)
    std::sort(levels.begin(), levels.end(), [](const std::string& a, const std::string& b) {
      return std::strtod(a.c_str(), nullptr) < std::strtod(b.c_str(), nullptr);
    });
  return levels;
}

inline ModelFrame MakeFrame(const Table& table, const FrameSpec& spec) {
  ModelFrame f;
  const int64_t n = table.rows();
  const std::vector<double> y = table.Numbers(spec.response);
  f.response = spec.response;
  f.y = Eigen::Map<const Eigen::VectorXd>(y.data(), n);
  // Fixed effects: each term's columns are products of its variables' columns.
  std::vector<std::vector<double>> cols;
  if (spec.intercept) {
    cols.emplace_back(n, 1.0);
    f.fixed_names.push_back("(Intercept)");
  }
  for (const std::vector<std::string>& term : spec.fixed) {
    std::vector<std::vector<double>> tcols = {std::vector<double>(n, 1.0)};
    std::vector<std::string> tnames = {""};
    for (const std::string& var : term) {
      const bool forced = var.rfind("factor(", 0) == 0;
      const std::string column = forced ? var.substr(7, var.size() - 8) : var;
      std::vector<std::vector<double>> vcols;
      std::vector<std::string> vnames;
      if (!forced && table.IsNumeric(column)) {
        vcols.push_back(table.Numbers(column));
        vnames.push_back(var);
      } else {
        const std::vector<std::string>& cells = table.Column(column);
        const std::vector<std::string> levels = SortedLevels(cells);
        for (size_t l = 1; l < levels.size(); ++l) {
          std::vector<double> c(n);
          for (int64_t i = 0; i < n; ++i) c[i] = cells[i] == levels[l] ? 1.0 : 0.0;
          vcols.push_back(c);
          vnames.push_back(var + levels[l]);
        }
      }
      std::vector<std::vector<double>> next;
      std::vector<std::string> next_names;
      for (size_t a = 0; a < tcols.size(); ++a)
        for (size_t b = 0; b < vcols.size(); ++b) {
          std::vector<double> c(n);
          for (int64_t i = 0; i < n; ++i) c[i] = tcols[a][i] * vcols[b][i];
          next.push_back(c);
          next_names.push_back(tnames[a].empty() ? vnames[b] : tnames[a] + ":" + vnames[b]);
        }
      tcols = next;
      tnames = next_names;
    }
    cols.insert(cols.end(), tcols.begin(), tcols.end());
    f.fixed_names.insert(f.fixed_names.end(), tnames.begin(), tnames.end());
  }
  f.x.resize(n, static_cast<Eigen::Index>(cols.size()));
  for (size_t j = 0; j < cols.size(); ++j)
    for (int64_t i = 0; i < n; ++i) f.x(i, j) = cols[j][i];
  for (const RandomSpec& rs : spec.random) {
    RandomEffectTerm t;
    t.group = rs.group;
    t.grouping_factor = rs.group;
    t.structure = rs.structure;
    t.homogeneous = rs.homogeneous;
    std::vector<std::string> labels(n);
    for (const std::string& g : SplitColon(rs.group)) {
      const std::vector<std::string>& cells = table.Column(g);
      for (int64_t i = 0; i < n; ++i) labels[i] += (labels[i].empty() ? "" : ":") + cells[i];
    }
    t.level_labels = SortedLevels(labels);
    std::map<std::string, int32_t> index;
    for (size_t l = 0; l < t.level_labels.size(); ++l)
      index[t.level_labels[l]] = static_cast<int32_t>(l);
    t.levels = static_cast<int64_t>(t.level_labels.size());
    for (int64_t i = 0; i < n; ++i) t.level.push_back(index[labels[i]]);
    t.z.resize(n, static_cast<Eigen::Index>(rs.columns.size()));
    for (size_t j = 0; j < rs.columns.size(); ++j) {
      t.names.push_back(rs.columns[j] == "1" ? "(Intercept)" : rs.columns[j]);
      if (rs.columns[j] == "1") {
        t.z.col(j).setOnes();
      } else {
        const std::vector<double> v = table.Numbers(rs.columns[j]);
        for (int64_t i = 0; i < n; ++i) t.z(i, j) = v[i];
      }
    }
    f.random.push_back(std::move(t));
  }
  f.rows_read = f.rows_used = n;
  for (int64_t i = 0; i < n; ++i) f.used_rows.push_back(i);
  return f;
}

// The specs of the formulas in shared/reference/*.json (without residual structures).
inline FrameSpec SpecFor(const std::string& formula) {
  using CS = CovStructure;
  static const std::map<std::string, FrameSpec> specs = {
      {"Yield ~ 1 + (1 | Batch)", {"Yield", true, {}, {{"Batch", {"1"}}}}},
      {"y ~ service + (1 | s) + (1 | d) + (1 | dept:service)",
       {"y", true, {{"service"}}, {{"s", {"1"}}, {"d", {"1"}}, {"dept:service", {"1"}}}}},
      {"score ~ Machine + (1 | Worker) + (1 | Worker:Machine)",
       {"score", true, {{"Machine"}}, {{"Worker", {"1"}}, {"Worker:Machine", {"1"}}}}},
      {"distance ~ age * Sex + (age | Subject)",
       {"distance", true, {{"age"}, {"Sex"}, {"age", "Sex"}}, {{"Subject", {"1", "age"}}}}},
      {"strength ~ 1 + (1 | batch/cask)",
       {"strength", true, {}, {{"batch", {"1"}}, {"cask:batch", {"1"}}}}},
      {"diameter ~ 1 + (1 | plate) + (1 | sample)",
       {"diameter", true, {}, {{"plate", {"1"}}, {"sample", {"1"}}}}},
      {"Reaction ~ Days + (Days || Subject)",
       {"Reaction", true, {{"Days"}}, {{"Subject", {"1"}}, {"Subject", {"Days"}}}}},
      {"Reaction ~ Days + (Days | Subject)",
       {"Reaction", true, {{"Days"}}, {{"Subject", {"1", "Days"}, CS::kUnstructured}}}},
      // Not a reference fit: a vector-valued term after the first block (invariant tests).
      {"Reaction ~ Days + (1 | Subject) + (Days | Subject)",
       {"Reaction", true, {{"Days"}}, {{"Subject", {"1"}}, {"Subject", {"1", "Days"}}}}},
      // Not a reference fit: a crossed vector-valued term after the first block (supernodal).
      {"y ~ service + (1 | s) + (1 + service | dept)",
       {"y", true, {{"service"}}, {{"s", {"1"}}, {"dept", {"1", "service"}}}}},
      {"score ~ factor(drug) + (1 | person)",
       {"score", true, {{"factor(drug)"}}, {{"person", {"1"}}}}},
      {"y ~ 1 + (1 | subject)", {"y", true, {}, {{"subject", {"1"}}}}},
  };
  const auto it = specs.find(formula);
  if (it == specs.end()) throw std::runtime_error("test frames: no spec for " + formula);
  return it->second;
}

// dataset: file stem under shared/data ("sleepstudy").
inline ModelFrame LoadFrame(const std::string& shared_dir, const std::string& dataset,
                            const std::string& formula) {
  const Table table = Table::Read(shared_dir + "/data/" + dataset + ".csv");
  ModelFrame f = MakeFrame(table, SpecFor(formula));
  f.formula = formula;
  return f;
}

}  // namespace lmm::test
