// The design-based DDF methods on Winer's t43 against Stata's published output (mixed, example
// 13, ../shared/seeds/004_*): repeated (our between-within) and anova (our containment) give df
// 12 for the drug coefficients and 4 for the constant, F(3, 12) = 24.76 for drug; residual gives
// n - p = 16; p-values as printed (3 decimals).
#include <gtest/gtest.h>

#include "inference/ddf/cluster_partition.h"
#include "inference/ddf/design_ddf.h"
#include "inference/ddf_test_util.h"

namespace lmm {
namespace {

ModelFrame T43() {
  return testing::LoadFrame(testing::SharedDir() + "/data/t43.csv",
                            "score ~ factor(drug) + (1 | person)");
}

const FixedEffectsTest& TermTest(const FitResult& fit, const std::string& term) {
  for (const FixedEffectsTest& t : fit.tests)
    if (t.term == term) return t;
  throw std::runtime_error("no test " + term);
}

TEST(ExactDdf, T43BetweenWithinAndContainmentMatchStata) {
  const ModelFrame frame = T43();
  for (DdfMethod m : {DdfMethod::kBetweenWithin, DdfMethod::kContainment}) {
    const FitResult fit = testing::FitWith(frame, m);
    ASSERT_EQ(fit.fixed_effects.size(), 4u);
    EXPECT_EQ(fit.fixed_effects[0].df, 4);
    for (int j = 1; j < 4; ++j) EXPECT_EQ(fit.fixed_effects[j].df, 12);
    const FixedEffectsTest& drug = TermTest(fit, "factor(drug)");
    EXPECT_EQ(drug.numdf, 3);
    EXPECT_EQ(drug.dendf, 12);
    EXPECT_NEAR(drug.statistic, 24.76, 0.005);  // Stata prints 24.76
    // Stata: P>|t| .687 .000 .014 .001; CI of drug 2: -5.024874 3.424874.
    EXPECT_NEAR(fit.fixed_effects[1].p_value, 0.687, 5e-4);
    EXPECT_NEAR(fit.fixed_effects[3].p_value, 0.014, 5e-4);
    EXPECT_NEAR(fit.fixed_effects[0].p_value, 0.001, 5e-4);
    EXPECT_NEAR(fit.fixed_effects[1].conf_low, -5.024874, 2e-6);
    EXPECT_NEAR(fit.fixed_effects[0].conf_low, 17.6553, 1e-4);
  }
}

TEST(ExactDdf, T43Residual) {
  const FitResult fit = testing::FitWith(T43(), DdfMethod::kResidual);
  for (const FixedEffect& fe : fit.fixed_effects) EXPECT_EQ(fe.df, 16);
  EXPECT_EQ(TermTest(fit, "factor(drug)").dendf, 16);
}

TEST(ExactDdf, NoneGivesChiSquaredTests) {
  const FitResult fit = testing::FitWith(T43(), DdfMethod::kNone);
  EXPECT_TRUE(std::isnan(fit.fixed_effects[1].df));
  const FixedEffectsTest& drug = TermTest(fit, "factor(drug)");
  EXPECT_TRUE(std::isnan(drug.dendf));
  EXPECT_NEAR(drug.statistic, 74.28, 0.005);  // Stata: Wald chi2(3) = 74.28
}

TEST(ExactDdf, BetweenWithinNeedsOneGroupingFactor) {
  const ModelFrame frame = testing::LoadFrame(testing::SharedDir() + "/data/penicillin.csv",
                                              "diameter ~ 1 + (1 | plate) + (1 | sample)");
  EXPECT_THROW(testing::FitWith(frame, DdfMethod::kBetweenWithin), Error);
}

TEST(ExactDdf, RankXZ) {
  // t43: rank(X, Z) = 4 + 5 - 1 = 8. Sleepstudy (Days | Subject): Z spans X: rank 36.
  // Penicillin (crossed, one cluster): the 24 plate and 6 sample indicators have rank 29 and
  // span the intercept.
  const ModelFrame t43 = T43();
  EXPECT_EQ(inference::ddf::RankXZ(t43, inference::ddf::PartitionClusters(t43)), 8);
  const ModelFrame sleep = testing::LoadFrame(testing::SharedDir() + "/data/sleepstudy.csv",
                                              "Reaction ~ Days + (Days | Subject)");
  EXPECT_EQ(inference::ddf::RankXZ(sleep, inference::ddf::PartitionClusters(sleep)), 36);
  const ModelFrame pen = testing::LoadFrame(testing::SharedDir() + "/data/penicillin.csv",
                                            "diameter ~ 1 + (1 | plate) + (1 | sample)");
  const auto part = inference::ddf::PartitionClusters(pen);
  EXPECT_FALSE(part.nested);
  EXPECT_EQ(inference::ddf::RankXZ(pen, part), 29);
}

}  // namespace
}  // namespace lmm
