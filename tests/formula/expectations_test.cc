// Term expansion and order against R: tests/data/formula/expectations.tsv holds, for each formula,
// what R's terms() and lme4's findbars() give (written by tests/formula/make_expectations.R with
// R 4.2.2 and lme4 1.1-31).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lmm/error.h"
#include "lmm/formula.h"

namespace lmm {
namespace {

struct Expectation {
  std::string formula;
  bool intercept = true;
  std::vector<std::string> fixed;   // term labels
  std::vector<std::string> random;  // "intercept;label;label|group" per random term
};

std::vector<std::string> Split(const std::string& s, const std::string& separator) {
  std::vector<std::string> parts;
  if (s.empty()) return parts;
  size_t start = 0;
  while (true) {
    const size_t at = s.find(separator, start);
    parts.push_back(s.substr(start, at - start));
    if (at == std::string::npos) break;
    start = at + separator.size();
  }
  return parts;
}

std::vector<Expectation> ReadExpectations() {
  std::ifstream in(std::string(LMM_TEST_DATA_DIR) + "/formula/expectations.tsv");
  std::vector<Expectation> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> fields = Split(line, "\t");
    if (fields.size() != 4) {
      ADD_FAILURE() << "malformed line: " << line;
      continue;
    }
    Expectation e;
    e.formula = fields[0];
    e.intercept = fields[1] == "1";
    e.fixed = Split(fields[2], ";");
    e.random = Split(fields[3], " + ");
    out.push_back(e);
  }
  return out;
}

std::string Describe(const RandomTerm& r) {
  std::string s = r.intercept ? "1;" : "0;";
  for (size_t i = 0; i < r.terms.size(); ++i) s += (i ? ";" : "") + r.terms[i].Label();
  return s + "|" + r.group_label;
}

TEST(FormulaExpectations, FileHasTheGeneratedTable) { EXPECT_EQ(ReadExpectations().size(), 98u); }

TEST(FormulaExpectations, TermsAndRandomTermsMatchR) {
  for (const Expectation& e : ReadExpectations()) {
    SCOPED_TRACE(e.formula);
    Formula f;
    try {
      f = ParseFormula(e.formula);
    } catch (const Error& error) {
      ADD_FAILURE() << error.what();
      continue;
    }
    EXPECT_EQ(f.intercept, e.intercept);
    std::vector<std::string> fixed;
    for (const Term& t : f.fixed) fixed.push_back(t.Label());
    EXPECT_EQ(fixed, e.fixed);
    std::vector<std::string> random;
    for (const RandomTerm& r : f.random) random.push_back(Describe(r));
    EXPECT_EQ(random, e.random);
  }
}

}  // namespace
}  // namespace lmm
