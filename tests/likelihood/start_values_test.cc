// MomentStart (likelihood/start_values.h): the moment estimates of a random intercept and slope
// term recover a simulated covariance, follow the covariates' scale, keep noise out of the
// correlations, and lead BOBYQA to lme4's optimum from a point where the objective is lower than at
// lme4's start.
#include "likelihood/start_values.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>

#include "likelihood/fit_core.h"
#include "lmm/load.h"
#include "model/theta_layout.h"

namespace lmm {
namespace {

// y = 1 + 0.5 x + b_0 + b_1 x + e per cluster of `rows` rows, x ~ N(0, x_scale^2),
// (b_0, b_1) = sigma L (z_0, z_1), e ~ N(0, sigma^2): theta's truth is L's lower triangle
// (in units of x_scale for the slope). `columns` > 2 adds random-effect columns (x / x_scale)^2,
// (x / x_scale)^3, ... whose effects are 0.
ModelFrame Simulate(int clusters, int rows, const Eigen::Matrix2d& l, double x_scale, uint64_t seed,
                    int columns = 2) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  const int64_t n = int64_t{clusters} * rows;
  ModelFrame f;
  f.y.resize(n);
  f.x.resize(n, 2);
  f.fixed_names = {"(Intercept)", "x"};
  RandomEffectTerm t;
  t.group = t.grouping_factor = "g";
  t.names = {"(Intercept)", "x"};
  for (int c = 2; c < columns; ++c) t.names.push_back("x" + std::to_string(c));
  t.levels = clusters;
  t.z.resize(n, columns);
  for (int c = 0; c < clusters; ++c) {
    t.level_labels.push_back("g" + std::to_string(c));
    const Eigen::Vector2d b = l * Eigen::Vector2d(normal(rng), normal(rng));
    for (int r = 0; r < rows; ++r) {
      const int64_t i = int64_t{c} * rows + r;
      const double x = x_scale * normal(rng);
      f.x(i, 0) = 1;
      f.x(i, 1) = x;
      t.level.push_back(c);
      t.z(i, 0) = 1;
      t.z(i, 1) = x;
      for (int k = 2; k < columns; ++k) t.z(i, k) = std::pow(x / x_scale, k);
      f.y(i) = 1 + 0.5 * x + b(0) + b(1) * x / x_scale + normal(rng);
    }
  }
  f.random.push_back(std::move(t));
  f.rows_read = f.rows_used = n;
  return f;
}

TEST(MomentStart, RecoversTheCovarianceOfSimulatedSlopes) {
  Eigen::Matrix2d l;
  l << 1.0, 0.0, 0.3, 0.5;
  const ModelFrame f = Simulate(4000, 10, l, 1.0, 7);
  const ThetaLayout layout(f);
  const std::optional<std::vector<double>> theta = MomentStart(f, layout);
  ASSERT_TRUE(theta.has_value());
  ASSERT_EQ(theta->size(), 3u);
  // Moment estimates from 4,000 clusters: standard errors about 0.02.
  EXPECT_NEAR((*theta)[0], 1.0, 0.08);
  EXPECT_NEAR((*theta)[1], 0.3, 0.08);
  EXPECT_NEAR((*theta)[2], 0.5, 0.08);
}

TEST(MomentStart, FollowsTheScaleOfTheCovariate) {
  // The same data with x in units 1000 times smaller: the slope's rows of Lambda scale by 1/1000.
  Eigen::Matrix2d l;
  l << 0.8, 0.0, -0.2, 0.6;
  const ModelFrame f1 = Simulate(500, 8, l, 1.0, 11);
  const ModelFrame f1000 = Simulate(500, 8, l, 1000.0, 11);
  const std::optional<std::vector<double>> t1 = MomentStart(f1, ThetaLayout(f1));
  const std::optional<std::vector<double>> t1000 = MomentStart(f1000, ThetaLayout(f1000));
  ASSERT_TRUE(t1 && t1000);
  EXPECT_NEAR((*t1000)[0], (*t1)[0], 1e-9);
  EXPECT_NEAR((*t1000)[1] * 1000, (*t1)[1], 1e-9);
  EXPECT_NEAR((*t1000)[2] * 1000, (*t1)[2], 1e-9);
}

TEST(MomentStart, NoCorrelationWithAVarianceAtNoiseLevel) {
  // No random intercept: its moment estimate is noise around 0, so it starts at the lower clamp
  // (0.1) with no correlation, whatever the noise's sign.
  Eigen::Matrix2d l;
  l << 0.0, 0.0, 0.0, 1.0;
  const ModelFrame f = Simulate(10000, 10, l, 1.0, 3);
  const std::optional<std::vector<double>> theta = MomentStart(f, ThetaLayout(f));
  ASSERT_TRUE(theta.has_value());
  EXPECT_DOUBLE_EQ((*theta)[0], 0.1);
  EXPECT_DOUBLE_EQ((*theta)[1], 0.0);
  EXPECT_NEAR((*theta)[2], 1.0, 0.08);
}

TEST(MomentStart, CorrelationsAreClampedAndTheStartStaysInsideTheBounds) {
  // Perfectly correlated intercept and slope: the start's correlation is 0.9, Lambda's diagonal
  // positive.
  Eigen::Matrix2d l;
  l << 1.0, 0.0, 1.0, 0.0;
  const ModelFrame f = Simulate(3000, 10, l, 1.0, 5);
  const ThetaLayout layout(f);
  const std::optional<std::vector<double>> theta = MomentStart(f, layout);
  ASSERT_TRUE(theta.has_value());
  const Eigen::MatrixXd s = layout.term(0).RelativeCovariance(*theta);
  EXPECT_NEAR(s(0, 1) / std::sqrt(s(0, 0) * s(1, 1)), 0.9, 1e-12);
  EXPECT_GT((*theta)[0], 0.5);
  EXPECT_GT((*theta)[2], 0.1);
}

TEST(MomentStart, ThreeColumnTermGivesAPositiveDefiniteStart) {
  Eigen::Matrix2d l;
  l << 1.0, 0.0, 0.4, 0.6;
  const ModelFrame f = Simulate(2000, 12, l, 1.0, 9, 3);
  const ThetaLayout layout(f);
  const std::optional<std::vector<double>> theta = MomentStart(f, layout);
  ASSERT_TRUE(theta.has_value());
  ASSERT_EQ(theta->size(), 6u);
  const Eigen::MatrixXd s = layout.term(0).RelativeCovariance(*theta);
  EXPECT_GT(Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(s).eigenvalues().minCoeff(), 0.0);
  EXPECT_NEAR(s(0, 0), 1.0, 0.1);
  EXPECT_NEAR(s(1, 0), 0.4, 0.1);
}

TEST(MomentStart, TermsWithTooManyColumnsKeepLme4sStart) {
  const ModelFrame f =
      Simulate(200, 12, Eigen::Matrix2d::Identity(), 1.0, 1, kMaxMomentColumns + 1);
  EXPECT_FALSE(MomentStart(f, ThetaLayout(f)).has_value());
}

TEST(MomentStart, RandomInterceptsAreTheOneWayAnovaEstimate) {
  // Balanced one-way layout, intercept only: sigma_b^2 = (MSB - MSW) / m, theta =
  // sqrt(sigma_b^2 / (total - sigma_b^2)) with total = SS / (n - 1).
  ModelFrame f;
  const int clusters = 4, m = 3;
  const double values[clusters][m] = {{1, 2, 3}, {4, 6, 5}, {3, 1, 2}, {2, 2, 5}};
  f.y.resize(clusters * m);
  f.x = Eigen::MatrixXd::Ones(clusters * m, 1);
  f.fixed_names = {"(Intercept)"};
  RandomEffectTerm t;
  t.group = t.grouping_factor = "g";
  t.names = {"(Intercept)"};
  t.levels = clusters;
  t.z = Eigen::MatrixXd::Ones(clusters * m, 1);
  for (int c = 0; c < clusters; ++c) {
    t.level_labels.push_back(std::to_string(c));
    for (int r = 0; r < m; ++r) {
      f.y(c * m + r) = values[c][r];
      t.level.push_back(c);
    }
  }
  f.random.push_back(t);
  const double mean = f.y.mean();
  double ssb = 0, ssw = 0;
  for (int c = 0; c < clusters; ++c) {
    const double cm = (values[c][0] + values[c][1] + values[c][2]) / m;
    ssb += m * (cm - mean) * (cm - mean);
    for (int r = 0; r < m; ++r) ssw += (values[c][r] - cm) * (values[c][r] - cm);
  }
  const double sb = ((ssb / (clusters - 1)) - ssw / (clusters * m - clusters)) / m;
  const double total = (ssb + ssw) / (clusters * m - 1);
  ASSERT_NEAR(sb, 1.5, 1e-12);  // MSB 6, MSW 1.5
  ASSERT_NEAR(total, 30.0 / 11, 1e-12);
  const std::optional<std::vector<double>> theta = MomentStart(f, ThetaLayout(f));
  ASSERT_TRUE(theta.has_value());
  EXPECT_NEAR((*theta)[0], std::sqrt(sb / (total - sb)), 1e-12);
}

// Sleepstudy `(Days | Subject)`: the moment start lies where the REML criterion is lower than at
// lme4's start, and both starts end at the same optimum (to the optimizer's resolution).
TEST(MomentStart, SleepstudyFitReachesLme4sOptimumFromABetterStart) {
  const std::string data = std::string(LMM_SHARED_DIR) + "/data/sleepstudy.csv";
  if (!std::filesystem::exists(data)) GTEST_SKIP() << "no ../shared/data";
  LoadOptions load;
  load.data_path = data;
  load.formula = "Reaction ~ Days + (Days | Subject)";
  const ModelFrame frame = LoadModel(load).frame;
  const ThetaLayout layout(frame);
  const std::optional<std::vector<double>> start = MomentStart(frame, layout);
  ASSERT_TRUE(start.has_value());
  FitCoreOptions options;
  options.threads = 1;
  const std::unique_ptr<Evaluator> ev = CreateEvaluator(frame, options);
  ASSERT_TRUE(ev->Update(*start).ok());
  const double at_moments = ev->Objective(true);
  ASSERT_TRUE(ev->Update(layout.start()).ok());
  EXPECT_LT(at_moments, ev->Objective(true));

  const FitCoreResult from_moments = FitCore(*ev, frame, options);
  options.start = layout.start();
  const FitCoreResult from_lme4 = FitCore(*ev, frame, options);
  EXPECT_NEAR(from_moments.objective, from_lme4.objective, 1e-9);
  for (size_t i = 0; i < from_lme4.theta.size(); ++i)
    EXPECT_NEAR(from_moments.theta[i], from_lme4.theta[i], 1e-6) << i;
  // lme4 1.1-31, REML: theta = (0.96673, 0.01516, 0.23090).
  EXPECT_NEAR(from_moments.theta[0], 0.96673, 1e-4);
  EXPECT_NEAR(from_moments.theta[1], 0.01516, 1e-4);
  EXPECT_NEAR(from_moments.theta[2], 0.23090, 1e-4);
}

}  // namespace
}  // namespace lmm
