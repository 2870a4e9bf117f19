// The formulas of the shared reference fits (../shared/reference/*.json) parse to the terms and
// group names R gave: the expected terms are those of tests/data/formula/expectations.tsv (from R's
// terms() and lme4's findbars()), and the group names and fixed-effect columns are checked against
// what the fits themselves report (VarCorr groups, coefficient names).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "lmm/formula.h"

namespace lmm {
namespace {

struct Expected {
  bool intercept;
  std::vector<std::string> fixed;
  std::vector<std::string> random;  // "intercept;label...|group"
};

// From tests/data/formula/expectations.tsv (R 4.2.2, lme4 1.1-31).
const std::map<std::string, Expected>& ExpectedTerms() {
  static const std::map<std::string, Expected> table = {
      {"Yield ~ 1 + (1 | Batch)", {true, {}, {"1;|Batch"}}},
      {"y ~ service + (1 | s) + (1 | d) + (1 | dept:service)",
       {true, {"service"}, {"1;|s", "1;|d", "1;|dept:service"}}},
      {"score ~ Machine + (1 | Worker) + (1 | Worker:Machine)",
       {true, {"Machine"}, {"1;|Worker", "1;|Worker:Machine"}}},
      {"distance ~ age * Sex + (age | Subject)",
       {true, {"age", "Sex", "age:Sex"}, {"1;age|Subject"}}},
      {"follicles ~ sin1 + cos1 + (1 | Mare)", {true, {"sin1", "cos1"}, {"1;|Mare"}}},
      {"strength ~ 1 + (1 | batch/cask)", {true, {}, {"1;|cask:batch", "1;|batch"}}},
      {"diameter ~ 1 + (1 | plate) + (1 | sample)", {true, {}, {"1;|plate", "1;|sample"}}},
      {"Reaction ~ Days + (Days || Subject)", {true, {"Days"}, {"1;|Subject", "0;Days|Subject"}}},
      {"Reaction ~ Days + (Days | Subject)", {true, {"Days"}, {"1;Days|Subject"}}},
      {"score ~ factor(drug) + (1 | person)", {true, {"factor(drug)"}, {"1;|person"}}},
      {"y ~ 1 + (1 | subject)", {true, {}, {"1;|subject"}}},
  };
  return table;
}

std::string Describe(const RandomTerm& r) {
  std::string s = r.intercept ? "1;" : "0;";
  for (size_t i = 0; i < r.terms.size(); ++i) s += (i ? ";" : "") + r.terms[i].Label();
  return s + "|" + r.group_label;
}

std::vector<std::string> SplitColon(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t at; (at = s.find(':', start)) != std::string::npos; start = at + 1)
    parts.push_back(s.substr(start, at - start));
  parts.push_back(s.substr(start));
  return parts;
}

// model.matrix names a column of term a:b "<a's label><level>:<b's label><level>".
bool NamesColumnOf(const std::string& column, const Term& term) {
  const std::vector<std::string> parts = SplitColon(column);
  if (parts.size() != term.variables.size()) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].rfind(term.variables[i].label, 0) != 0) return false;
  }
  return true;
}

std::set<std::string> CsvHeader(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::set<std::string> names;
  std::string name;
  for (char c : line) {
    if (c == ',') {
      names.insert(name);
      name.clear();
    } else if (c != '"' && c != '\r') {
      name += c;
    }
  }
  names.insert(name);
  return names;
}

TEST(ReferenceFormulas, ParseAsRExpandsThem) {
  const std::filesystem::path dir = std::string(LMM_SHARED_DIR) + "/reference";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no ../shared/reference";
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    const nlohmann::json ref = nlohmann::json::parse(in);
    const std::string text = ref["formula"];
    SCOPED_TRACE(entry.path().filename().string() + ": " + text);
    const auto expected = ExpectedTerms().find(text);
    ASSERT_NE(expected, ExpectedTerms().end()) << "formula not in the expected table";
    const Formula f = ParseFormula(text);

    EXPECT_EQ(f.intercept, expected->second.intercept);
    std::vector<std::string> fixed;
    for (const Term& t : f.fixed) fixed.push_back(t.Label());
    EXPECT_EQ(fixed, expected->second.fixed);
    std::vector<std::string> random;
    for (const RandomTerm& r : f.random) random.push_back(Describe(r));
    EXPECT_EQ(random, expected->second.random);

    // Group names, numbered for repeats as VarCorr does, are the fit's variance-component groups.
    std::set<std::string> groups;
    std::map<std::string, int> seen;
    for (const RandomTerm& r : f.random) {
      const int copy = seen[r.group_label]++;
      groups.insert(copy == 0 ? r.group_label : r.group_label + "." + std::to_string(copy));
    }
    std::set<std::string> ref_groups;
    for (const auto& vc : ref["varcomp"]) {
      if (vc["group"] != "Residual") ref_groups.insert(vc["group"].get<std::string>());
    }
    EXPECT_EQ(groups, ref_groups);

    // Every coefficient of the fit belongs to one of our terms, and every term has one.
    std::set<const Term*> used;
    for (const auto& [name, _] : ref["fixed"].items()) {
      if (name == "(Intercept)") {
        EXPECT_TRUE(f.intercept);
        continue;
      }
      const auto term = std::find_if(f.fixed.begin(), f.fixed.end(),
                                     [&](const Term& t) { return NamesColumnOf(name, t); });
      ASSERT_NE(term, f.fixed.end()) << name;
      used.insert(&*term);
    }
    EXPECT_EQ(used.size(), f.fixed.size());

    // Every column the formula reads is in the data file.
    const std::string data = ref["data"];
    const std::set<std::string> header =
        CsvHeader(std::string(LMM_SHARED_DIR) + "/" + data.substr(std::string("shared/").size()));
    for (const std::string& column : f.Columns()) EXPECT_EQ(header.count(column), 1u) << column;
    ++checked;
  }
  EXPECT_EQ(checked, 12);
}

}  // namespace
}  // namespace lmm
