// Labels as R deparses them: numbers (tests/data/formula/numbers.tsv, written by
// tests/formula/make_expectations.R from R's deparse()), names and expressions.
#include "formula/deparse.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "lmm/formula.h"

namespace lmm::formula {
namespace {

std::vector<std::pair<std::string, std::string>> ReadNumbers() {
  std::ifstream in(std::string(LMM_TEST_DATA_DIR) + "/formula/numbers.tsv");
  std::vector<std::pair<std::string, std::string>> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    out.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  return out;
}

TEST(Deparse, NumbersAsRPrintsThem) {
  const auto numbers = ReadNumbers();
  ASSERT_EQ(numbers.size(), 43u);
  for (const auto& [literal, expected] : numbers) {
    SCOPED_TRACE(literal);
    EXPECT_EQ(FormatNumber(std::strtod(literal.c_str(), nullptr)), expected);
  }
}

TEST(Deparse, NumberLiteralsInLabels) {
  // The lexer's reading of each literal, printed back in an I() label.
  for (const auto& [literal, expected] : ReadNumbers()) {
    SCOPED_TRACE(literal);
    const Formula f = ParseFormula("y ~ I(" + literal + " * x)");
    ASSERT_EQ(f.fixed.size(), 1u);
    EXPECT_EQ(f.fixed[0].Label(), "I(" + expected + " * x)");
  }
}

TEST(Deparse, NegativeAndSpecialValues) {
  EXPECT_EQ(FormatNumber(-2.5), "-2.5");
  EXPECT_EQ(FormatNumber(-1e-4), "-1e-04");
  EXPECT_EQ(FormatNumber(-0.0), "0");
  EXPECT_EQ(FormatNumber(-HUGE_VAL), "-Inf");
}

TEST(Deparse, NamesAreBackquotedUnlessSyntactic) {
  EXPECT_EQ(DeparseName("Days"), "Days");
  EXPECT_EQ(DeparseName("a.b_c"), "a.b_c");
  EXPECT_EQ(DeparseName(".a"), ".a");
  EXPECT_EQ(DeparseName("odd name"), "`odd name`");
  EXPECT_EQ(DeparseName("_a"), "`_a`");
  EXPECT_EQ(DeparseName(".5a"), "`.5a`");
  EXPECT_EQ(DeparseName("2x"), "`2x`");
  EXPECT_EQ(DeparseName("if"), "`if`");
  EXPECT_EQ(DeparseName("TRUE"), "`TRUE`");
  EXPECT_TRUE(IsSyntacticName("T"));
}

TEST(Deparse, ColumnsKeepTheirNamesWithoutBackquotes) {
  const Formula f = ParseFormula("`my y` ~ `odd name` + factor(`a b`) + I(`c d` + 1)");
  EXPECT_EQ(f.response.label, "`my y`");
  EXPECT_EQ(f.response.column, "my y");
  ASSERT_EQ(f.fixed.size(), 3u);
  EXPECT_EQ(f.fixed[0].Label(), "`odd name`");
  EXPECT_EQ(f.fixed[0].variables[0].column, "odd name");
  EXPECT_EQ(f.fixed[1].Label(), "factor(`a b`)");
  EXPECT_EQ(f.fixed[1].variables[0].column, "a b");
  EXPECT_EQ(f.fixed[2].Label(), "I(`c d` + 1)");
  EXPECT_EQ(f.Columns(), (std::vector<std::string>{"my y", "odd name", "a b", "c d"}));
}

TEST(Deparse, ExpressionSpacingFollowsR) {
  // Checked with R 4.2.2: deparse(quote(...)) and terms() labels.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"I(x+1)", "I(x + 1)"},
      {"I(x*2)", "I(x * 2)"},
      {"I(Days ^ 2)", "I(Days^2)"},
      {"I(x / 2)", "I(x/2)"},
      {"I( - x)", "I(-x)"},
      {"I(- -x)", "I(--x)"},
      {"I(2^-x)", "I(2^-x)"},
      {"I(x^(1/2))", "I(x^(1/2))"},
      {"I(log( x + 1 )/2)", "I(log(x + 1)/2)"},
      {"log(x)", "log(x)"},
      {"sqrt( x )", "sqrt(x)"},
      {"exp(x/10)", "exp(x/10)"},
      {"I((x))", "I((x))"},
      {"I(x*-2)", "I(x * -2)"},
  };
  for (const auto& [written, label] : cases) {
    SCOPED_TRACE(written);
    const Formula f = ParseFormula("y ~ " + written);
    ASSERT_EQ(f.fixed.size(), 1u);
    EXPECT_EQ(f.fixed[0].Label(), label);
  }
}

}  // namespace
}  // namespace lmm::formula
