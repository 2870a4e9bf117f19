// theta parametrizations (src/model): lme4's layout, bounds and start values, the cs() Cholesky
// form, round trips through the relative covariance, and lme4's term order.
#include "model/term_covariance.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "model/theta_layout.h"

namespace lmm {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(TermCovarianceTest, UnstructuredIsLme4ColumnMajorLowerTriangle) {
  const TermCovariance c(3, CovStructure::kUnstructured, false);
  EXPECT_EQ(c.size(), 6);
  EXPECT_EQ(c.start(), (std::vector<double>{1, 0, 0, 1, 0, 1}));
  EXPECT_EQ(c.lower(), (std::vector<double>{0, -kInf, -kInf, 0, -kInf, 0}));
  const std::vector<double> theta = {1, 2, 3, 4, 5, 6};
  Eigen::MatrixXd expected(3, 3);
  expected << 1, 0, 0, 2, 4, 0, 3, 5, 6;
  EXPECT_EQ(c.Lambda(theta), expected);
  EXPECT_EQ(c.Names("g", {"(Intercept)", "x", "z"}),
            (std::vector<std::string>{"g.(Intercept)", "g.x.(Intercept)", "g.z.(Intercept)", "g.x",
                                      "g.z.x", "g.z"}));
  const std::vector<double> back = c.ThetaFromRelativeCovariance(c.RelativeCovariance(theta));
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(back[i], theta[i], 1e-12);
}

TEST(TermCovarianceTest, DiagonalAndHomogeneous) {
  const TermCovariance d(3, CovStructure::kDiagonal, false);
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.Lambda(std::vector<double>{1, 2, 3}),
            Eigen::Vector3d(1, 2, 3).asDiagonal().toDenseMatrix());
  const TermCovariance h(3, CovStructure::kDiagonal, true);
  EXPECT_EQ(h.size(), 1);
  EXPECT_EQ(h.Lambda(std::vector<double>{2}), 2 * Eigen::MatrixXd::Identity(3, 3));
  EXPECT_NEAR(h.ThetaFromRelativeCovariance(4 * Eigen::MatrixXd::Identity(3, 3))[0], 2, 1e-15);
}

TEST(TermCovarianceTest, CompoundSymmetryIsCholeskyOfDRD) {
  const TermCovariance c(3, CovStructure::kCompoundSymmetry, false);
  ASSERT_EQ(c.size(), 4);
  EXPECT_EQ(c.start(), (std::vector<double>{1, 1, 1, 0}));
  EXPECT_NEAR(c.lower()[3], -0.5, 1e-6);  // -1/(q-1), with a margin
  EXPECT_GT(c.lower()[3], -0.5);
  EXPECT_LT(c.upper()[3], 1.0);
  const std::vector<double> theta = {1.5, 0.5, 2.0, -0.3};
  Eigen::MatrixXd expected(3, 3);
  const Eigen::Vector3d s(1.5, 0.5, 2.0);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) expected(i, j) = s(i) * s(j) * (i == j ? 1.0 : -0.3);
  const Eigen::MatrixXd lambda = c.Lambda(theta);
  EXPECT_TRUE(lambda.isLowerTriangular());
  EXPECT_LT((lambda * lambda.transpose() - expected).norm(), 1e-14);
  const std::vector<double> back = c.ThetaFromRelativeCovariance(expected);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(back[i], theta[i], 1e-12);

  const TermCovariance h(2, CovStructure::kCompoundSymmetry, true);
  ASSERT_EQ(h.size(), 2);
  const Eigen::MatrixXd rel = h.RelativeCovariance(std::vector<double>{2.0, 0.5});
  EXPECT_NEAR(rel(0, 0), 4, 1e-14);
  EXPECT_NEAR(rel(1, 1), 4, 1e-14);
  EXPECT_NEAR(rel(1, 0), 2, 1e-14);
}

TEST(TermCovarianceTest, ScalarTermHasOneParameter) {
  for (CovStructure s :
       {CovStructure::kUnstructured, CovStructure::kDiagonal, CovStructure::kCompoundSymmetry}) {
    const TermCovariance c(1, s, false);
    EXPECT_EQ(c.size(), 1);
    EXPECT_EQ(c.lower()[0], 0.0);
  }
}

TEST(TermCovarianceTest, SingularBoundaryAsLme4IsSingular) {
  const TermCovariance c(2, CovStructure::kUnstructured, false);
  EXPECT_TRUE(c.AtSingularBoundary(std::vector<double>{1.0, 0.5, 5e-5}, 1e-4));
  EXPECT_FALSE(c.AtSingularBoundary(std::vector<double>{1.0, -3.0, 0.2}, 1e-4));
}

TEST(ThetaLayoutTest, Lme4TermOrder) {
  // mkReTrms: if levels ever increase, rev(order(levels)): decreasing, ties in reverse order.
  EXPECT_EQ(Lme4TermOrder({18, 18}), (std::vector<int>{0, 1}));
  EXPECT_EQ(Lme4TermOrder({10, 30}), (std::vector<int>{1, 0}));
  EXPECT_EQ(Lme4TermOrder({2972, 1128, 28}), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(Lme4TermOrder({6, 18}), (std::vector<int>{1, 0}));
  EXPECT_EQ(Lme4TermOrder({5, 5, 9}), (std::vector<int>{2, 1, 0}));
}

}  // namespace
}  // namespace lmm
