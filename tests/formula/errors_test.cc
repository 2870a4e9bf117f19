// Formula errors: kind, message and caret position (1-based column) for each kind of mistake.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lmm/error.h"
#include "lmm/formula.h"

namespace lmm {
namespace {

struct ErrorCase {
  const char* formula;
  int column;           // where the caret points, 1-based
  const char* message;  // a part of the first line
};

// Catches the error ParseFormula throws for `formula`; fails the test if it throws none.
Error ErrorOf(const std::string& formula) {
  try {
    ParseFormula(formula);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error for: " << formula;
  return Error(ErrorKind::kInternal, "");
}

TEST(FormulaErrors, MessageShowsFormulaAndCaret) {
  const Error e = ErrorOf("y ~ x + (1 | g");
  EXPECT_EQ(e.kind(), ErrorKind::kUsage);
  EXPECT_EQ(e.exit_code(), 2);
  EXPECT_EQ(std::string(e.what()),
            "formula error at column 15: expected ')' to close '(' opened at column 9\n"
            "  y ~ x + (1 | g\n"
            "                ^");
}

TEST(FormulaErrors, CaretCountsCharactersNotBytes) {
  // "é" is two bytes in UTF-8 but one column.
  const Error e = ErrorOf("\xc3\xa9 ~ x $");
  EXPECT_EQ(std::string(e.what()),
            "formula error at column 7: unexpected character '$'\n"
            "  \xc3\xa9 ~ x $\n"
            "        ^");
}

TEST(FormulaErrors, ControlCharactersShowAsSpaces) {
  const Error e = ErrorOf("y ~\tx +\n");
  EXPECT_EQ(std::string(e.what()),
            "formula error at column 9: expected a term after '+'\n"
            "  y ~ x + \n"
            "          ^");
}

TEST(FormulaErrors, EachMistakeHasItsMessageAndColumn) {
  const std::vector<ErrorCase> cases = {
      {"", 1, "empty formula"},
      {"   ", 1, "empty formula"},
      {"y", 2, "missing '~'"},
      {"y x", 3, "unexpected 'x'"},
      {"~ x", 1, "missing response before '~'"},
      {"y ~", 4, "expected a term after '~'"},
      {"y ~ x ~ z", 7, "only one '~'"},
      {"y ~ x + ~ z", 9, "only one '~'"},
      {"y ~ (a ~ b)", 8, "'~' inside parentheses"},
      {"y ~ (x + z", 11, "expected ')' to close '(' opened at column 5"},
      {"y ~ log(x", 10, "expected ')' to close '(' opened at column 8"},
      {"y ~ x + z)", 10, "')' without a matching '('"},
      {"y ~ ()", 6, "empty parentheses"},
      {"y ~ foo(x)", 5, "unknown function 'foo'"},
      {"y ~ x # comment", 7, "unexpected character '#'"},
      {"y ~ x $ z", 7, "unexpected character '$'"},
      {"y ~ x & z", 7, "unexpected character '&'"},
      {"y ~ x %% z", 7, "unsupported operator '%%'"},
      {"y ~ x +", 8, "expected a term after '+'"},
      {"y ~ x * ", 9, "expected a term after '*'"},
      {"y ~ x + * z", 9, "unexpected '*' after '+'"},
      {"y ~ x, z", 6, "',' outside a function call"},
      {"y ~ x | g", 7, "'|' outside parentheses"},
      {"y ~ x || g", 7, "'||' outside parentheses"},
      {"y ~ (x | )", 10, "random term without a grouping factor after '|'"},
      {"y ~ (x ||)", 10, "random term without a grouping factor after '||'"},
      {"y ~ (1 + (x | g) | h)", 13, "nested random term"},
      {"y ~ (x | g | h)", 8, "nested random term"},
      {"y ~ x:(1 | g)", 10, "a random term must be added to the formula's terms"},
      {"y ~ x - (1 | g)", 9, "a random term cannot be removed"},
      {"y ~ (0 | g)", 6, "random term without effects"},
      {"y ~ (x - x - 1 | g)", 6, "random term without effects"},
      {"y ~ (x | 1)", 10, "a grouping factor must be"},
      {"y ~ (x | I(g))", 10, "a grouping factor must be"},
      {"y ~ (x | g/(h/k))", 14, "'/' in a grouping factor"},
      {"y ~ I(factor(x))", 7, "factor() cannot be used inside I()"},
      {"y ~ I(x + (1 | g))", 14, "a random term cannot be inside I()"},
      {"y ~ I(x | g)", 9, "a random term cannot be inside I()"},
      {"y ~ factor(x | g)", 14, "a random term cannot be inside factor()"},
      {"y ~ I(foo(x))", 7, "unknown function 'foo' inside I()"},
      {"y ~ I(a:b)", 8, "':' is not supported inside I()"},
      {"y ~ I(x, z)", 5, "I() takes exactly one argument"},
      {"y ~ factor(x + 1)", 12, "factor() takes a column name"},
      {"factor(y) ~ x", 1, "the response cannot be factor()"},
      {"y + z ~ x", 3, "the response must be a column"},
      {"(y) ~ x", 1, "the response must be a column"},
      // Regression (found by fuzz.formula): a response without a column, e.g. "I(0) ~1".
      {"I(0) ~1", 1, "the response must use a data column"},
      {"y ~ ar1(x | g)", 5, "ar1() covariance structures are not supported"},
      {"y ~ ou(x | g)", 5, "unknown covariance structure 'ou'"},
      {"y ~ diag(x | g, hom = 2)", 23, "hom must be TRUE or FALSE"},
      {"y ~ diag(x | g, foo = TRUE)", 23, "unexpected argument to diag()"},
      {"y ~ diag(x | g, TRUE)", 17, "unexpected argument to diag()"},
      {"y ~ cs(x | g, hom = TRUE, hom = F)", 33, "hom given twice"},
      {"y ~ us(x | g, hom = TRUE)", 5, "us() is unstructured"},
      {"y ~ cs(x || g)", 10, "'||' inside cs()"},
      {"y ~ x:diag(x | g)", 7, "diag() marks a random term"},
      {"y ~ .", 5, "'.' (all other columns) is not supported"},
      {"y ~ x + 2", 9, "the number 2 cannot be a term"},
      {"y ~ x:1", 7, "the intercept (1) cannot be part of an interaction"},
      {"y ~ x:2", 7, "the number 2 cannot be a term"},
      {"y ~ (a + b)^x", 13, "whole number"},
      {"y ~ (a + b)^1.5", 13, "whole number"},
      {"y ~ a:-b", 7, "unary '-'"},
      {"y ~ `ab", 5, "unterminated backquoted name"},
      {"y ~ ``", 5, "empty backquoted name"},
      {"y ~ if", 5, "reserved word"},
      {"y ~ 2x", 6, "right after a number"},
      {"y ~ 1e", 5, "exponent without digits"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.formula);
    const Error e = ErrorOf(c.formula);
    const std::string what = e.what();
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    const std::string head = "formula error at column " + std::to_string(c.column) + ": ";
    EXPECT_EQ(what.substr(0, head.size()), head) << what;
    const std::string first_line = what.substr(0, what.find('\n'));
    EXPECT_NE(first_line.find(c.message), std::string::npos) << what;
    // Third line: two spaces, then the caret under the column.
    const std::string caret_line = what.substr(what.rfind('\n') + 1);
    EXPECT_EQ(caret_line, std::string(static_cast<size_t>(c.column) + 1, ' ') + "^") << what;
  }
}

TEST(FormulaErrors, NestingAndLengthAreBounded) {
  const std::string deep = "y ~ " + std::string(300, '(') + "x" + std::string(300, ')');
  EXPECT_NE(std::string(ErrorOf(deep).what()).find("nested too deeply"), std::string::npos);
  std::string minus = "y ~ " + std::string(300, '-') + "x";
  EXPECT_NE(std::string(ErrorOf(minus).what()).find("nested too deeply"), std::string::npos);
  std::string long_sum = "y ~ x";
  for (int i = 0; i < 2500; ++i) long_sum += " + x";
  EXPECT_NE(std::string(ErrorOf(long_sum).what()).find("formula too long"), std::string::npos);
}

TEST(FormulaErrors, ExpansionIsBounded) {
  // 13 variables to the 13th power: 8191 terms, more than TermAlgebra::kMaxTerms.
  const Error e = ErrorOf("y ~ (a + b + c + d + e + f + g + h + i + j + k + l + m)^13");
  EXPECT_NE(std::string(e.what()).find("too many terms"), std::string::npos);
  // 12 variables: 4095 terms, within bounds.
  EXPECT_EQ(ParseFormula("y ~ (a + b + c + d + e + f + g + h + i + j + k + l)^12").fixed.size(),
            4095u);
}

}  // namespace
}  // namespace lmm
