// BuildCrossProducts (likelihood/cpu/cross_products.h): the [X y]'[X y] block of the rest is the
// centered cross-product summed in long double in row order (blocked, several sums at a time),
// equal bit for bit to a plain row-by-row long double sum of the same centered values (X'X
// blocked, the y row by FillResponsePieces), with and without other terms in the rest; the first
// term's per-level blocks are Z_c'Z_c.
#include "likelihood/cpu/cross_products.h"

#include <gtest/gtest.h>

#include <random>

#include "model/theta_layout.h"

namespace lmm {
namespace {

// n rows (not a multiple of the row blocks), X = [1, x1, x2, x3, x4, x5] with x's far from 0
// (centering matters), y; term g (1 + x1) with
// `levels` levels and, when `crossed`, a term h (1) with 7 levels.
ModelFrame Frame(int64_t n, int64_t levels, bool crossed) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> normal;
  ModelFrame f;
  f.y.resize(n);
  f.x.resize(n, 6);
  f.fixed_names = {"(Intercept)", "x1", "x2", "x3", "x4", "x5"};
  RandomEffectTerm g, h;
  g.group = g.grouping_factor = "g";
  g.names = {"(Intercept)", "x1"};
  g.levels = levels;
  g.z.resize(n, 2);
  h.group = h.grouping_factor = "h";
  h.names = {"(Intercept)"};
  h.levels = 7;
  h.z = Eigen::MatrixXd::Ones(n, 1);
  for (int64_t l = 0; l < levels; ++l) g.level_labels.push_back(std::to_string(l));
  for (int64_t l = 0; l < 7; ++l) h.level_labels.push_back(std::to_string(l));
  for (int64_t i = 0; i < n; ++i) {
    f.x(i, 0) = 1;
    f.x(i, 1) = 1000 + normal(rng);
    f.x(i, 2) = -3e5 + 10 * normal(rng);
    for (int j = 3; j < 6; ++j) f.x(i, j) = j * normal(rng) + 0.1 * f.x(i, 1);
    f.y(i) = 2 * f.x(i, 1) + normal(rng);
    g.level.push_back(static_cast<int32_t>((i * 7919) % levels));
    h.level.push_back(static_cast<int32_t>(i % 7));
    g.z(i, 0) = 1;
    g.z(i, 1) = f.x(i, 1);
  }
  f.random.push_back(std::move(g));
  if (crossed) f.random.push_back(std::move(h));
  f.rows_read = f.rows_used = n;
  return f;
}

void ExpectCenteredGram(const ModelFrame& f, const cpu::CrossProducts& cp) {
  ASSERT_TRUE(cp.centering.centered);
  const int p = f.p();
  for (int j = 0; j <= p; ++j)
    for (int k = 0; k <= j; ++k) {
      long double s = 0;
      for (int64_t i = 0; i < f.n(); ++i) {
        const double a =
            j < p ? f.x(i, j) - cp.centering.x_shift(j) : f.y(i) - cp.centering.y_shift;
        const double b =
            k < p ? f.x(i, k) - cp.centering.x_shift(k) : f.y(i) - cp.centering.y_shift;
        s += static_cast<long double>(a) * b;
      }
      EXPECT_EQ(cp.a(cp.mt + j, cp.mt + k), static_cast<double>(s)) << j << k;
      EXPECT_EQ(cp.a(cp.mt + k, cp.mt + j), cp.a(cp.mt + j, cp.mt + k));
    }
  // The shifts are the column means.
  for (int j = 1; j < p; ++j) EXPECT_NEAR(cp.centering.x_shift(j), f.x.col(j).mean(), 1e-12 * 3e5);
}

TEST(CrossProducts, CenteredGramOfXyWithoutOtherTerms) {
  const ModelFrame f = Frame(5003, 50, false);
  const cpu::CrossProducts cp = cpu::BuildCrossProducts(f, ThetaLayout(f));
  EXPECT_EQ(cp.mt, 0);
  ExpectCenteredGram(f, cp);
  // Level 3's block of Z_0'Z_0.
  Eigen::Matrix2d d = Eigen::Matrix2d::Zero();
  for (int64_t i = 0; i < f.n(); ++i)
    if (f.random[0].level[i] == 3) d += f.random[0].z.row(i).transpose() * f.random[0].z.row(i);
  const Eigen::Map<const Eigen::Matrix2d> block(cp.d.data() + 3 * 4);
  EXPECT_LT((block - d).cwiseAbs().maxCoeff(), 1e-12 * d.cwiseAbs().maxCoeff());
}

TEST(CrossProducts, CenteredGramOfXyWithACrossedTerm) {
  const ModelFrame f = Frame(4099, 50, true);
  const cpu::CrossProducts cp = cpu::BuildCrossProducts(f, ThetaLayout(f));
  EXPECT_EQ(cp.mt, 7);
  ExpectCenteredGram(f, cp);
  // h's diagonal: the level counts.
  for (int l = 0; l < 7; ++l) EXPECT_EQ(cp.a(l, l), static_cast<double>((f.n() - 1 - l) / 7 + 1));
}

}  // namespace
}  // namespace lmm
