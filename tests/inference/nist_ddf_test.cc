// NIST StRD AtmWtAg (../shared/data/nist/anova/AtmWtAg.dat): two groups of 24, y ~ 1 + (1 | g) by
// REML. For a balanced one-way layout the intercept's t statistic has exactly a - 1 = 1 df
// (the between-group mean square's df); Satterthwaite with exact derivatives and Kenward-Roger
// must give 1 to 6 digits (lmerTest's numerical Hessian gives 0.689, the motivation).
// Property: df, SEs and F tests do not change when y is multiplied by 10^k, k = -3..6.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "inference/ddf_test_util.h"

namespace lmm {
namespace {

ModelFrame AtmWtAg(double scale) {
  const std::string path = testing::SharedDir() + "/data/nist/anova/AtmWtAg.dat";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string line;
  int number = 0, first = 0, last = 0;
  std::vector<int32_t> group;
  std::vector<double> y;
  while (std::getline(in, line)) {
    ++number;
    const size_t at = line.find("Data ");
    const size_t lines = line.find("(lines");
    if (first == 0 && at != std::string::npos && lines != std::string::npos)
      std::sscanf(line.c_str() + lines, "(lines %d to %d)", &first, &last);
    if (first > 0 && number >= first && number <= last) {
      std::istringstream row(line);
      int g = 0;
      double v = 0;
      row >> g >> v;
      group.push_back(g - 1);
      y.push_back(v * scale);
    }
  }
  ModelFrame f;
  const auto n = static_cast<Eigen::Index>(y.size());
  f.formula = "y ~ 1 + (1 | g)";
  f.response = "y";
  f.y = Eigen::Map<Eigen::VectorXd>(y.data(), n);
  f.x = Eigen::MatrixXd::Ones(n, 1);
  f.fixed_names = {"(Intercept)"};
  RandomEffectTerm t;
  t.group = t.grouping_factor = "g";
  t.names = {"(Intercept)"};
  t.levels = 2;
  t.level_labels = {"1", "2"};
  t.level = group;
  t.z = Eigen::MatrixXd::Ones(n, 1);
  f.random.push_back(t);
  f.rows_read = f.rows_used = n;
  for (Eigen::Index i = 0; i < n; ++i) f.used_rows.push_back(i);
  return f;
}

TEST(NistDdf, AtmWtAgDfIsOne) {
  const ModelFrame frame = AtmWtAg(1.0);
  ASSERT_EQ(frame.n(), 48);
  for (DdfMethod m : {DdfMethod::kSatterthwaite, DdfMethod::kKenwardRoger})
    for (InformationChoice info : {InformationChoice::kExpected, InformationChoice::kObserved}) {
      const FitResult fit = testing::FitWith(frame, m, info);
      EXPECT_NEAR(fit.fixed_effects[0].df, 1.0, 1e-6)
          << static_cast<int>(m) << " " << static_cast<int>(info);
    }
}

TEST(NistDdf, InvariantUnderScalingOfY) {
  const FitResult base_s = testing::FitWith(AtmWtAg(1.0), DdfMethod::kSatterthwaite);
  const FitResult base_k = testing::FitWith(AtmWtAg(1.0), DdfMethod::kKenwardRoger);
  for (int k = -3; k <= 6; ++k) {
    SCOPED_TRACE(k);
    const double s = std::pow(10.0, k);
    const FitResult sat = testing::FitWith(AtmWtAg(s), DdfMethod::kSatterthwaite);
    const FitResult kr = testing::FitWith(AtmWtAg(s), DdfMethod::kKenwardRoger);
    EXPECT_NEAR(sat.fixed_effects[0].df, base_s.fixed_effects[0].df, 1e-6);
    EXPECT_NEAR(kr.fixed_effects[0].df, base_k.fixed_effects[0].df, 1e-6);
    EXPECT_NEAR(kr.fixed_effects[0].std_error / s, base_k.fixed_effects[0].std_error,
                1e-6 * base_k.fixed_effects[0].std_error);
    EXPECT_NEAR(sat.fixed_effects[0].statistic, base_s.fixed_effects[0].statistic,
                1e-6 * std::abs(base_s.fixed_effects[0].statistic));
  }
}

TEST(NistDdf, SleepstudyInvariantUnderScalingOfY) {
  // A model with a covariance parameter and a slope: df of every coefficient and the KR SEs.
  const ModelFrame base = testing::LoadFrame(testing::SharedDir() + "/data/sleepstudy.csv",
                                             "Reaction ~ Days + (Days | Subject)");
  const FitResult ref = testing::FitWith(base, DdfMethod::kKenwardRoger);
  for (int k : {-3, 3, 6}) {
    ModelFrame scaled = base;
    scaled.y *= std::pow(10.0, k);
    const FitResult fit = testing::FitWith(scaled, DdfMethod::kKenwardRoger);
    for (size_t j = 0; j < ref.fixed_effects.size(); ++j) {
      EXPECT_NEAR(fit.fixed_effects[j].df, ref.fixed_effects[j].df, 1e-4 * ref.fixed_effects[j].df);
      EXPECT_NEAR(fit.fixed_effects[j].statistic, ref.fixed_effects[j].statistic,
                  1e-4 * std::abs(ref.fixed_effects[j].statistic));
    }
  }
}

}  // namespace
}  // namespace lmm
