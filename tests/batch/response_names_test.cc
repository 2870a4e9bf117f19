// Response lists and per-response formulas of `fit --responses`.
#include <gtest/gtest.h>

#include "batch/responses.h"
#include "lmm/error.h"

namespace lmm::batch {
namespace {

TEST(ResponseNames, FormulaKeepsTheRightHandSideAsWritten) {
  EXPECT_EQ(FormulaForResponse("y1 ~ x + (1 | g)", "y2"), "y2 ~ x + (1 | g)");
  EXPECT_EQ(FormulaForResponse("  log(y) ~x", "z"), "  z ~x");
  EXPECT_EQ(FormulaForResponse("~ x + (x | g)", "y.3"), "y.3 ~ x + (x | g)");
  EXPECT_EQ(FormulaForResponse("~x", "gene 7"), "`gene 7` ~x");
  EXPECT_EQ(FormulaForResponse("`a~b` ~ x", "y"), "y ~ x");  // '~' inside backquotes
  EXPECT_EQ(FormulaForResponse("y ~ x", "2y"), "`2y` ~ x");  // not a syntactic R name
}

TEST(ResponseNames, PatternsExpandInHeaderOrderWithoutTheRightHandSide) {
  const std::vector<std::string> columns = {"g", "y2", "x", "y1", "yx", "gene_a", "gene_b"};
  EXPECT_EQ(ExpandResponses({"y*"}, columns, {"x", "g", "yx"}, "d.csv"),
            (std::vector<std::string>{"y2", "y1"}));
  EXPECT_EQ(ExpandResponses({"y1", "y?", "gene_[ab]"}, columns, {"x", "g"}, "d.csv"),
            (std::vector<std::string>{"y1", "y2", "yx", "gene_a", "gene_b"}));
  try {
    ExpandResponses({"z*"}, columns, {}, "d.csv");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_NE(std::string(e.what()).find("'z*' matches no column"), std::string::npos);
  }
  EXPECT_THROW(ExpandResponses({"nope"}, columns, {}, "d.csv"), Error);
}

}  // namespace
}  // namespace lmm::batch
