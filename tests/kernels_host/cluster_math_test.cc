// The per-cluster functions the GPU kernels run (kernels/cluster_math.h), run on the host against
// dense Eigen formulas on seeded random clusters, edge sizes included (one row, q = 1, fewer rows
// than columns, w = 1 and the largest w, Lambda = 0), and the launch shape's coverage
// (kernels/cluster_shape.h).
//
// Tolerances: the functions compute a Cholesky factor and triangular solves of
// T = Lambda'D Lambda + I (eigenvalues >= 1), so backward errors are a small multiple of
// q eps ||T|| [Higham 2002, thm. 10.3]; the data below keep cond(T) <= ~1e3, so forward errors
// stay below 1e-11 relative. A failing case prints its seed and sizes.
#include "cluster_math.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "cluster_shape.h"

namespace lmm::kernels {
namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();

struct Cluster {
  Eigen::MatrixXd d;       // q x q
  Eigen::MatrixXd panel;   // w x q
  Eigen::MatrixXd lambda;  // q x q lower
};

Cluster RandomCluster(std::mt19937_64& rng, int q, int w, int rows) {
  std::normal_distribution<double> normal(0.0, 1.0);
  Eigen::MatrixXd z(rows, q), xy(rows, w);
  for (int i = 0; i < rows; ++i) {
    for (int k = 0; k < q; ++k) z(i, k) = k == 0 ? 1.0 : normal(rng);
    for (int j = 0; j < w; ++j) xy(i, j) = normal(rng) * (j + 1);
  }
  Cluster c;
  c.d = z.transpose() * z;
  c.d = c.d.selfadjointView<Eigen::Lower>();  // exactly symmetric, as the packed storage is
  c.panel = xy.transpose() * z;
  c.lambda = Eigen::MatrixXd::Zero(q, q);
  for (int j = 0; j < q; ++j)
    for (int i = j; i < q; ++i)
      c.lambda(i, j) = i == j ? 0.5 + std::abs(normal(rng)) : 0.3 * normal(rng);
  return c;
}

// A view with `stride` clusters whose cluster `at` is `c` (others zero): exercises the
// structure-of-arrays indexing of LoadCluster.
struct PackedOne {
  std::vector<double> d, panel;
  ClusterView view;
  PackedOne(const Cluster& c, int64_t stride, int64_t at) {
    const int q = static_cast<int>(c.d.rows()), w = static_cast<int>(c.panel.rows());
    d.assign(PackedSize(q) * stride, 0.0);
    panel.assign(w * q * stride, 0.0);
    for (int i = 0; i < q; ++i)
      for (int j = 0; j <= i; ++j) d[PackedIndex(i, j) * stride + at] = c.d(i, j);
    for (int k = 0; k < q; ++k)
      for (int r = 0; r < w; ++r) panel[(r + k * w) * stride + at] = c.panel(r, k);
    view = {stride, q, w, d.data(), panel.data()};
  }
};

void CheckCluster(const Cluster& c, const std::string& trace) {
  SCOPED_TRACE(trace);
  const int q = static_cast<int>(c.d.rows()), w = static_cast<int>(c.panel.rows());
  const PackedOne packed(c, 3, 1);
  double d[kMaxClusterQ * kMaxClusterQ], l[kMaxClusterQ * kMaxClusterQ] = {};
  double panel[kMaxClusterW * kMaxClusterQ];
  LoadCluster(packed.view, 1, d, panel);
  EXPECT_EQ(Eigen::Map<const Eigen::MatrixXd>(d, q, q), c.d);
  EXPECT_EQ(Eigen::Map<const Eigen::MatrixXd>(panel, w, q), c.panel);
  double logdet = 0;
  ASSERT_TRUE(EliminateCluster(q, w, c.lambda.data(), d, l, panel, &logdet));

  const Eigen::MatrixXd t = c.lambda.transpose() * c.d * c.lambda + Eigen::MatrixXd::Identity(q, q);
  const Eigen::MatrixXd lc =
      Eigen::Map<const Eigen::MatrixXd>(l, q, q).triangularView<Eigen::Lower>();
  // Invariant: L L' reproduces T; pivots are >= 1.
  EXPECT_LE((lc * lc.transpose() - t).norm(), 16 * q * kEps * t.norm());
  for (int i = 0; i < q; ++i) EXPECT_GE(lc(i, i), 1.0 - 16 * kEps);
  // log det T.
  const Eigen::LLT<Eigen::MatrixXd> llt(t);
  const double expected_logdet = 2.0 * llt.matrixLLT().diagonal().array().log().sum();
  EXPECT_NEAR(logdet, expected_logdet, 1e-13 * (1.0 + std::abs(expected_logdet)));
  // P = G Lambda L^{-T} and P P' = G Lambda T^{-1} Lambda' G'.
  const Eigen::MatrixXd p = Eigen::Map<const Eigen::MatrixXd>(panel, w, q);
  const Eigen::MatrixXd g_lambda = c.panel * c.lambda;
  EXPECT_LE((p * lc.transpose() - g_lambda).norm(), 64 * q * kEps * (g_lambda.norm() + 1.0));
  const Eigen::MatrixXd ppt = g_lambda * llt.solve(g_lambda.transpose());
  for (int i = 0; i < w; ++i)
    for (int j = 0; j <= i; ++j)
      EXPECT_NEAR(DowndateEntry(q, w, panel, i, j), ppt(i, j), 1e-11 * (ppt.norm() + 1.0))
          << "entry " << i << "," << j;
}

TEST(ClusterMath, MatchesDenseFormulasOnRandomClusters) {
  uint64_t seed = 0;
  for (int q = 1; q <= kMaxClusterQ; ++q)
    for (int w : {1, 2, 5, kMaxClusterW})
      for (int rows : {1, std::max(1, q - 1), q, 3 * q + 2}) {
        std::mt19937_64 rng(++seed);
        const Cluster c = RandomCluster(rng, q, w, rows);
        CheckCluster(c, "seed " + std::to_string(seed) + " q " + std::to_string(q) + " w " +
                            std::to_string(w) + " rows " + std::to_string(rows));
      }
}

TEST(ClusterMath, ZeroLambdaGivesIdentityFactorAndNoDowndate) {
  std::mt19937_64 rng(7);
  Cluster c = RandomCluster(rng, 3, 4, 5);
  c.lambda.setZero();
  const PackedOne packed(c, 1, 0);
  double d[9], l[9] = {}, panel[12];
  LoadCluster(packed.view, 0, d, panel);
  double logdet = -1;
  ASSERT_TRUE(EliminateCluster(3, 4, c.lambda.data(), d, l, panel, &logdet));
  EXPECT_EQ(logdet, 0.0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(l[i + i * 3], 1.0);
  for (int e = 0; e < 12; ++e) EXPECT_EQ(panel[e], 0.0);
}

TEST(ClusterMath, EmptyClusterContributesNothing) {
  // A level without rows: D = 0 and G = 0.
  Cluster c;
  c.d = Eigen::MatrixXd::Zero(2, 2);
  c.panel = Eigen::MatrixXd::Zero(3, 2);
  c.lambda = Eigen::MatrixXd::Identity(2, 2) * 2.0;
  double l[4] = {}, panel[6] = {};
  double logdet = -1;
  ASSERT_TRUE(EliminateCluster(2, 3, c.lambda.data(), c.d.data(), l, panel, &logdet));
  EXPECT_EQ(logdet, 0.0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(DowndateEntry(2, 3, panel, i, i), 0.0);
}

TEST(ClusterMath, NonFiniteInputIsReportedNotFactored) {
  const double lambda[1] = {1.0};
  double d[1] = {std::numeric_limits<double>::quiet_NaN()}, l[1], logdet = 0;
  EXPECT_FALSE(FactorClusterBlock(1, lambda, d, l, &logdet));
  d[0] = -std::numeric_limits<double>::infinity();
  EXPECT_FALSE(FactorClusterBlock(1, lambda, d, l, &logdet));
}

TEST(ClusterMath, ScalarTermHasClosedForm) {
  // q = 1: L = sqrt(1 + lambda^2 d), P = g lambda / L.
  const double lambda[1] = {0.7}, d[1] = {5.0};
  double l[1], panel[2] = {2.0, -3.0}, logdet = 0;
  ASSERT_TRUE(EliminateCluster(1, 2, lambda, d, l, panel, &logdet));
  const double lc = std::sqrt(1 + 0.49 * 5.0);
  EXPECT_NEAR(l[0], lc, 4 * kEps * lc);
  EXPECT_NEAR(logdet, std::log(1 + 0.49 * 5.0), 4 * kEps);
  EXPECT_NEAR(panel[0], 2.0 * 0.7 / lc, 8 * kEps);
  EXPECT_NEAR(panel[1], -3.0 * 0.7 / lc, 8 * kEps);
}

TEST(ClusterShape, EveryClusterIsTakenExactlyOnce) {
  for (int64_t count : {int64_t{0}, int64_t{1}, int64_t{127}, int64_t{128}, int64_t{129},
                        int64_t{kClusterThreads} * kClusterMaxBlocks - 1,
                        int64_t{kClusterThreads} * kClusterMaxBlocks + 1, int64_t{1000003}}) {
    SCOPED_TRACE(count);
    const ClusterPassShape s = ShapeClusterPass(count);
    if (count == 0) {
      EXPECT_EQ(s.blocks, 0);
      continue;
    }
    EXPECT_LE(s.blocks, kClusterMaxBlocks);
    std::vector<int> seen(count, 0);
    for (int r = 0; r < s.rounds; ++r)
      for (int b = 0; b < s.blocks; ++b)
        for (int t = 0; t < kClusterThreads; ++t) {
          const int64_t c = ClusterOfThread(r, b, t, s.blocks);
          if (c < count) ++seen[c];
        }
    for (int64_t c = 0; c < count; ++c) ASSERT_EQ(seen[c], 1) << "cluster " << c;
    // No round is wholly idle.
    EXPECT_LT(ClusterOfThread(s.rounds - 1, 0, 0, s.blocks), count);
  }
}

// The blocked launch (ShapeClusterBlocks, CtaOfClusterBlocks: what ClusterPassKernel and
// ReducePartialsKernel compute from blockIdx.x): every cluster of the shard is taken exactly once,
// by a CTA of its own block, in the place (round, CTA, thread) that a launch over the block alone
// would give it; partial slots stay inside the block's region and no two CTAs share one.
TEST(ClusterShape, BlockedPassTakesEachBlockAsItsOwnLaunch) {
  struct Case {
    int64_t count, block;
  };
  for (const Case& k : {Case{5000, 1024}, Case{3000, 1024}, Case{37, 1}, Case{300000, 1024},
                        Case{1024, 1024}, Case{1025, 1024}, Case{0, 1024}, Case{0, 0},
                        Case{600000, 0}, Case{700000, 300000}, Case{129, 0}}) {
    SCOPED_TRACE("count " + std::to_string(k.count) + " block " + std::to_string(k.block));
    const ClusterBlocksShape s = ShapeClusterBlocks(k.count, k.block);
    if (k.block <= 0) {
      EXPECT_EQ(s.reductions, 1);
      EXPECT_EQ(s.ctas(), ShapeClusterPass(k.count).blocks);  // the plain pass
    } else {
      EXPECT_EQ(s.reductions, (k.count + k.block - 1) / k.block);
    }
    const int entries = 7;
    std::vector<int> seen(k.count, 0);
    std::vector<int> slots(static_cast<size_t>(s.ctas() * entries), 0);
    for (int64_t cta = 0; cta < s.ctas(); ++cta) {
      const ClusterCta c = CtaOfClusterBlocks(cta, k.count, s.block, s.ctas_per_block);
      ASSERT_LT(c.index, s.reductions);
      ASSERT_EQ(c.first, c.index * s.block);
      ASSERT_EQ(c.count, std::min(s.block, k.count - c.first));
      const ClusterPassShape alone = ShapeClusterPass(c.count);
      ASSERT_EQ(c.shape.blocks, alone.blocks);
      ASSERT_EQ(c.shape.rounds, alone.rounds);
      ASSERT_LE(c.shape.blocks, s.ctas_per_block);
      if (c.j >= c.shape.blocks) continue;  // idle CTA of a short last block
      for (int e = 0; e < entries; ++e) {
        const int64_t slot =
            c.index * s.ctas_per_block * entries + static_cast<int64_t>(e) * c.shape.blocks + c.j;
        ASSERT_LT(slot, (c.index + 1) * s.ctas_per_block * entries);
        ++slots[static_cast<size_t>(slot)];
      }
      for (int r = 0; r < c.shape.rounds; ++r)
        for (int t = 0; t < kClusterThreads; ++t) {
          const int64_t off = ClusterOfThread(r, c.j, t, c.shape.blocks);
          if (off < c.count) ++seen[static_cast<size_t>(c.first + off)];
        }
    }
    for (int64_t c = 0; c < k.count; ++c) ASSERT_EQ(seen[c], 1) << "cluster " << c;
    for (int v : slots) ASSERT_LE(v, 1);
  }
}

TEST(ClusterShape, DeviceBytesCountTheCrossProducts) {
  // q = 2, p = 4: 3 + 10 doubles per cluster (DESIGN.md sec. 5: 0.1-0.2 GB for 1e6 clusters).
  const int64_t base = ClusterDeviceBytes(0, 2, 5);
  EXPECT_EQ(ClusterDeviceBytes(1000000, 2, 5) - base, 1000000 * 13 * 8);
  EXPECT_EQ(ReducedEntries(5), 16);
}

}  // namespace
}  // namespace lmm::kernels
