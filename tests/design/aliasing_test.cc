// AliasedColumns (design/aliasing.h): R's qr() rule (a column whose norm after projection on the
// earlier kept columns is at most 1e-7 of its own is aliased), both when the columns are clearly
// independent (answered from the Gram matrix) and near the tolerance (the Householder QR).
#include "design/aliasing.h"

#include <gtest/gtest.h>

#include <random>

namespace lmm {
namespace {

Eigen::MatrixXd RandomColumns(int n, int p, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd x(n, p);
  for (int j = 0; j < p; ++j)
    for (int i = 0; i < n; ++i) x(i, j) = j == 0 ? 1.0 : normal(rng);
  return x;
}

TEST(AliasedColumns, IndependentColumnsOfAnyScaleAliasNothing) {
  Eigen::MatrixXd x = RandomColumns(1000, 5, 1);
  x.col(2) *= 1e8;
  x.col(3) *= 1e-8;
  EXPECT_TRUE(design::AliasedColumns(x).empty());
}

TEST(AliasedColumns, ExactCombinationsAreAliasedLaterColumnsFirst) {
  Eigen::MatrixXd x = RandomColumns(500, 6, 2);
  x.col(3) = 2 * x.col(1) - x.col(2);  // aliased; column 4 and 5 independent
  x.col(5) = x.col(0) + 1e3 * x.col(4);
  EXPECT_EQ(design::AliasedColumns(x), (std::vector<int>{3, 5}));
}

TEST(AliasedColumns, NearlyDependentColumnsFollowTheTolerance) {
  // A column 1e-5 (relative) away from the span of the others is kept; 1e-10 away is aliased. The
  // Gram matrix cannot resolve either, so both go through the QR.
  const Eigen::MatrixXd base = RandomColumns(400, 3, 3);
  const Eigen::MatrixXd noise = RandomColumns(400, 2, 4);
  for (const double eps : {1e-5, 1e-10}) {
    Eigen::MatrixXd x(400, 4);
    x << base, base.col(1) + base.col(2) + eps * noise.col(1);
    EXPECT_EQ(design::AliasedColumns(x).empty(), eps > 1e-7) << eps;
  }
}

TEST(AliasedColumns, ZeroColumnsAndMoreColumnsThanRowsAreAliased) {
  Eigen::MatrixXd x = RandomColumns(50, 3, 5);
  x.col(1).setZero();
  EXPECT_EQ(design::AliasedColumns(x), std::vector<int>{1});
  EXPECT_EQ(design::AliasedColumns(RandomColumns(3, 5, 6)), (std::vector<int>{3, 4}));
}

TEST(AliasedColumns, WideDesignsDecideAcrossPanels) {
  // 300 columns (past the Gram shortcut, over several panels of the blocked QR): combinations
  // within a panel, across panel boundaries and of columns from three panels, a zero column and two
  // near-dependences on either side of the tolerance (1e-9 aliased, 1e-5 kept).
  Eigen::MatrixXd x = RandomColumns(1000, 300, 8);
  const Eigen::MatrixXd noise = RandomColumns(1000, 2, 9);
  x.col(40) = x.col(3) - 0.5 * x.col(20);
  x.col(97) = x.col(3) + 2 * x.col(50);
  x.col(150) = x.col(96) - x.col(120) + x.col(0);
  x.col(190).setZero();
  x.col(260) = x.col(100) + x.col(200) + 1e-9 * noise.col(1);
  x.col(270) = x.col(101) + x.col(201) + 1e-5 * noise.col(1);
  x.col(299) = x.col(10) + 3 * x.col(200) - x.col(250) + x.col(97);
  EXPECT_EQ(design::AliasedColumns(x), (std::vector<int>{40, 97, 150, 190, 260, 299}));
}

TEST(AliasedColumns, InterceptAndAShiftedCovariateAreKept) {
  // x = 2000 + N(0, 1): nearly collinear with the intercept, so not clearly independent from
  // the Gram matrix, yet about 5e-4 of its norm lies outside the intercept's span: kept, as by R.
  Eigen::MatrixXd x = RandomColumns(300, 2, 7);
  x.col(1) = 2000.0 + x.col(1).array();
  EXPECT_TRUE(design::AliasedColumns(x).empty());
}

}  // namespace
}  // namespace lmm
