// Design rules on small in-memory tables: R's contrasts, level order and labels, aliasing, row
// dropping, and lme4's identifiability errors.
#include <gtest/gtest.h>

#include "design/aliasing.h"
#include "design/variable_values.h"
#include "lmm/error.h"
#include "lmm/model_frame.h"

namespace lmm {
namespace {

ModelFrame Build(const std::string& csv, const std::string& formula) {
  return BuildModelFrame(ParseFormula(formula), ParseCsv(csv, "t.csv", CsvOptions{}));
}

std::string ErrorOf(const std::string& csv, const std::string& formula) {
  try {
    Build(csv, formula);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    return e.what();
  }
  return "no error";
}

const char* kTable =
    "y,x,g,f,h\n"
    "1.5,1,a,10,u\n"
    "2.5,2,a,2,v\n"
    "0.5,3,b,10,u\n"
    "4.0,4,b,2,v\n"
    "3.0,5,c,2.5,u\n"
    "2.0,6,c,10,v\n";

TEST(FormatNumberLikeR, MatchesAsCharacter) {
  // Expected strings are R 4.2's as.character() of the same doubles.
  EXPECT_EQ(design::FormatNumberLikeR(308), "308");
  EXPECT_EQ(design::FormatNumberLikeR(0.5), "0.5");
  EXPECT_EQ(design::FormatNumberLikeR(-2.25), "-2.25");
  EXPECT_EQ(design::FormatNumberLikeR(1e5), "1e+05");
  EXPECT_EQ(design::FormatNumberLikeR(123456), "123456");
  EXPECT_EQ(design::FormatNumberLikeR(0.1 + 0.2), "0.3");
  EXPECT_EQ(design::FormatNumberLikeR(1e-20), "1e-20");
  EXPECT_EQ(design::FormatNumberLikeR(0.0001), "1e-04");
  EXPECT_EQ(design::FormatNumberLikeR(0.001), "0.001");
}

TEST(Design, FactorOfNumbersOrdersLevelsNumerically) {
  const ModelFrame f = Build(kTable, "y ~ factor(f) + (1 | g)");
  // levels 2 < 2.5 < 10 (numeric order, not "10" < "2" < "2.5")
  EXPECT_EQ(f.fixed_names, (std::vector<std::string>{"(Intercept)", "factor(f)2.5", "factor(f)10"}));
}

TEST(Design, NoInterceptCodesFirstFactorByIndicators) {
  const ModelFrame f = Build(kTable, "y ~ 0 + h + factor(f) + (1 | g)");
  EXPECT_EQ(f.fixed_names, (std::vector<std::string>{"hu", "hv", "factor(f)2.5", "factor(f)10"}));
}

TEST(Design, InteractionWithoutMarginUsesIndicators) {
  const ModelFrame f = Build(kTable, "y ~ x:h + (1 | g)");
  EXPECT_EQ(f.fixed_names, (std::vector<std::string>{"(Intercept)", "x:hu", "x:hv"}));
  EXPECT_DOUBLE_EQ(f.x(1, 2), 2.0);  // row 2: h = v, x = 2
  EXPECT_DOUBLE_EQ(f.x(1, 1), 0.0);
}

TEST(Design, AliasedColumnsAreDroppedAndNamed) {
  // I(2 * x) is exactly twice x: R's qr() drops the later column.
  const ModelFrame f = Build(kTable, "y ~ x + I(2 * x) + (1 | g)");
  EXPECT_EQ(f.fixed_names, (std::vector<std::string>{"(Intercept)", "x"}));
  EXPECT_EQ(f.aliased, (std::vector<std::string>{"I(2 * x)"}));
}

TEST(Design, AliasingKeepsEarlierColumns) {
  Eigen::MatrixXd x(4, 3);
  x << 1, 2, 3, 1, 4, 5, 1, 6, 7, 1, 8, 9;  // col 2 = col 1 + col 0
  EXPECT_EQ(design::AliasedColumns(x), std::vector<int>{2});
}

TEST(Design, MissingRowsAreDroppedAndCountedByFirstColumn) {
  const ModelFrame f = Build(
      "y,x,g\n1,1,a\nNA,2,a\n3,NA,b\nNA,NA,b\n5,5,c\n6,.,c\n7,7,a\n8,8,b\n9,9,c\n", "y ~ x + (1|g)");
  EXPECT_EQ(f.rows_read, 9);
  EXPECT_EQ(f.rows_used, 5);
  ASSERT_EQ(f.rows_dropped.size(), 2u);
  EXPECT_EQ(f.rows_dropped[0], (std::pair<std::string, int64_t>{"missing y", 2}));
  EXPECT_EQ(f.rows_dropped[1], (std::pair<std::string, int64_t>{"missing x", 2}));
  EXPECT_EQ(f.used_rows, (std::vector<int64_t>{0, 4, 6, 7, 8}));
}

TEST(Design, RepeatedGroupNamesAreNumberedAsLme4Does) {
  const ModelFrame f = Build(kTable, "y ~ x + (1 | g) + (0 + x | g)");
  ASSERT_EQ(f.random.size(), 2u);
  EXPECT_EQ(f.random[0].group, "g");
  EXPECT_EQ(f.random[1].group, "g.1");
  EXPECT_EQ(f.groups.size(), 1u);
}

TEST(Design, InteractionGroupingLevelsAndLabels) {
  const std::string table = std::string(kTable) + "1,1,a,1,u\n2,2,c,1,v\n";
  const ModelFrame f = Build(table, "y ~ 1 + (1 | g:h)");
  EXPECT_EQ(f.random[0].levels, 6);
  EXPECT_EQ(f.random[0].level_labels.front(), "a:u");
  EXPECT_EQ(f.random[0].level_labels.back(), "c:v");
}

TEST(Design, NonNumberAmongNumbersIsAnErrorWithItsLocation) {
  const std::string msg = ErrorOf("y,x,g\n1,1,a\n2,2,a\n3,12abc,b\n4,4,b\n", "y ~ x + (1|g)");
  EXPECT_NE(msg.find("t.csv:4:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("12abc"), std::string::npos) << msg;
  EXPECT_NE(msg.find("factor(x)"), std::string::npos) << msg;
  // factor(x) is the user's way to say the column is categorical.
  EXPECT_NO_THROW(Build("y,x,g\n1,1,a\n2,2,a\n3,12abc,b\n4,4,b\n5,1,c\n", "y ~ factor(x) + (1|g)"));
}

TEST(Design, ResponseMustBeNumeric) {
  EXPECT_NE(ErrorOf("y,g\n1,a\nx,a\n3,b\n4,b\n", "y ~ 1 + (1|g)").find("t.csv:3:1"),
            std::string::npos);
}

TEST(Design, Lme4IdentifiabilityErrors) {
  EXPECT_NE(ErrorOf("y,g\n1,a\n2,a\n3,a\n", "y ~ 1 + (1|g)").find("at least 2"), std::string::npos);
  EXPECT_NE(ErrorOf("y,g\n1,a\n2,b\n3,c\n", "y ~ 1 + (1|g)").find("less than the number"),
            std::string::npos);
  EXPECT_NE(ErrorOf("y,g\n1,a\n1,a\n1,b\n1,b\n", "y ~ 1 + (1|g)").find("constant"),
            std::string::npos);
  EXPECT_NE(ErrorOf("y,x,g\n1,1,a\n2,2,a\n3,3,b\n4,4,b\n5,6,c\n", "y ~ 1 + (x|g)").find("identifiable"),
            std::string::npos);
  EXPECT_NE(ErrorOf(kTable, "y ~ z + (1|g)").find("'z'"), std::string::npos);
}

TEST(Design, NonFiniteExpressionIsAnError) {
  const std::string msg = ErrorOf("y,x,g\n1,1,a\n2,0,a\n3,2,b\n4,3,b\n", "y ~ I(log(x)) + (1|g)");
  EXPECT_NE(msg.find("t.csv:3"), std::string::npos) << msg;
}

}  // namespace
}  // namespace lmm
