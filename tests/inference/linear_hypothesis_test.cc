// Parsing of --test hypotheses into L beta = c.
#include "inference/ddf/linear_hypothesis.h"

#include <gtest/gtest.h>

#include "lmm/error.h"

namespace lmm::inference::ddf {
namespace {

const std::vector<std::string> kNames = {"(Intercept)", "factor(drug)2", "factor(drug)3", "a",
                                         "ab",          "I(x^2)"};

TEST(LinearHypothesis, Forms) {
  LinearHypothesis h = ParseHypothesis("factor(drug)2 = factor(drug)3", kNames);
  ASSERT_EQ(h.l.rows(), 1);
  EXPECT_EQ(h.l(0, 1), 1);
  EXPECT_EQ(h.l(0, 2), -1);
  EXPECT_EQ(h.rhs(0), 0);
  h = ParseHypothesis("2*a + ab = 3", kNames);
  EXPECT_EQ(h.l(0, 3), 2);
  EXPECT_EQ(h.l(0, 4), 1);
  EXPECT_EQ(h.rhs(0), 3);
  h = ParseHypothesis("a - 0.5 I(x^2) - 1 = -2 + ab", kNames);
  EXPECT_EQ(h.l(0, 3), 1);
  EXPECT_EQ(h.l(0, 5), -0.5);
  EXPECT_EQ(h.l(0, 4), -1);
  EXPECT_EQ(h.rhs(0), -1);
  h = ParseHypothesis("a = 0, ab = 0,(Intercept)=1", kNames);
  ASSERT_EQ(h.l.rows(), 3);
  EXPECT_EQ(h.l(2, 0), 1);
  EXPECT_EQ(h.rhs(2), 1);
}

TEST(LinearHypothesis, Errors) {
  EXPECT_THROW(ParseHypothesis("b = 0", kNames), Error);           // unknown name
  EXPECT_THROW(ParseHypothesis("a", kNames), Error);               // no '='
  EXPECT_THROW(ParseHypothesis("1 = 2", kNames), Error);           // no coefficient
  EXPECT_THROW(ParseHypothesis("a = 0, 2*a = 1", kNames), Error);  // dependent rows
  EXPECT_THROW(ParseHypothesis("a = 0 extra", kNames), Error);
  try {
    ParseHypothesis("a = c", kNames);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("position 5"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lmm::inference::ddf
