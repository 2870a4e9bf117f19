// The coding of X recovered from a model frame (term_coding.h), against R's model.matrix and
// terms(): for y ~ A + A:B + A:x on the three-way covariate fixture (A with 2 levels, B with 3),
// R codes A by contrasts in A, A by indicators and B by contrasts in A:B (B's margin A is
// present, A's margin B is not), and A by indicators in A:x (its margin x is absent), printing
// attr(terms, "factors") as A = 1 in A, A = 2 / B = 1 in A:B, A = 2 / x = 1 in A:x.
#include "inference/ddf/term_coding.h"

#include <gtest/gtest.h>

#include "inference/ddf_test_util.h"

namespace lmm::inference::ddf {
namespace {

TEST(TermCoding, ContrastsMarginsAndLevels) {
  const std::string path = lmm::testing::TestDataDir() + "/type3_three_way_covariate.csv";
  const ModelFrame frame = lmm::testing::LoadFrame(path, "y ~ A + A:B + A:x + (1 | g)");
  const std::optional<TermCoding> c = ReadTermCoding(frame);
  ASSERT_TRUE(c.has_value());
  ASSERT_EQ(c->terms.size(), 3u);
  EXPECT_EQ(c->levels.at("A"), 2);
  EXPECT_EQ(c->levels.at("B"), 3);
  EXPECT_TRUE(c->factor.at("A"));
  EXPECT_FALSE(c->factor.at("x"));
  const TermLayout& ab = c->terms[1];
  EXPECT_EQ(ab.label, "A:B");
  EXPECT_EQ(ab.contrasts, (std::vector<bool>{false, true}));
  EXPECT_EQ(ab.margin_present, (LabelSet{"B"}));
  EXPECT_EQ(ab.columns.size(), 4u);  // 2 levels of A x 2 contrasts of B
  const TermLayout& ax = c->terms[2];
  EXPECT_EQ(ax.contrasts, (std::vector<bool>{false, false}));
  EXPECT_EQ(ax.label, "A:x");
  EXPECT_EQ(ax.margin_present, (LabelSet{"x"}));
  EXPECT_EQ(ax.columns.size(), 2u);
}

TEST(TermCoding, NoInterceptIsNotRecovered) {
  const std::string path = lmm::testing::TestDataDir() + "/type3_factor_factor.csv";
  EXPECT_FALSE(ReadTermCoding(lmm::testing::LoadFrame(path, "y ~ 0 + A + (1 | g)")).has_value());
}

}  // namespace
}  // namespace lmm::inference::ddf
