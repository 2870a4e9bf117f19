// The multi-term GPU evaluator's mathematics run on the host: each kernels/level_math.h function
// against a plain Eigen statement of what it computes (edge sizes: levels with no tiles, q0 = 1
// and 8, tiles of q_b = 1, 2, 3, [X y] rows only), and the whole host pipeline
// (gpu::HostMultiTermUpdate: the same functions in index order, then Eigen's dense Cholesky)
// against the CPU evaluator and lme4 on every multi-term reference model and on simulated crossed
// and nested models.
//
// Tolerances: single functions 1e-13 relative to the Eigen result's scale (the same products in
// another order: a few ulps). Pipeline: 1e-11 relative against the CPU evaluator -- the same
// cross-products, the Schur complement summed in the same level order, but a different dense
// Cholesky (Eigen's LLT vs the CPU's blocked one), whose rounding is amplified by S's condition
// number (up to ~1e3 here); 1e-8 against lme4 (as tests/likelihood: CHOLMOD, another algorithm).
#include "level_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "kernels_host/lme4_cases.h"
#include "kernels_host/simulated_frame.h"
#include "likelihood/cpu/cpu_evaluator.h"
#include "likelihood/frame_loader.h"
#include "likelihood/gpu/gpu_probe.h"
#include "likelihood/gpu/level_pack.h"
#include "likelihood/gpu/multi_term_host.h"
#include "likelihood/objective.h"

namespace lmm {
namespace {

constexpr double kFunction = 1e-13;
constexpr double kVsCpu = 1e-11;
constexpr double kVsLme4 = 1e-8;

Eigen::MatrixXd RandomLower(int q, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Eigen::MatrixXd l = Eigen::MatrixXd::Zero(q, q);
  for (int j = 0; j < q; ++j)
    for (int i = j; i < q; ++i) l(i, j) = i == j ? 0.5 + std::abs(u(rng)) : u(rng);
  return l;
}

// One level of block 0 with tiles of the given rest blocks (q_b each) and w rows of [X y].
struct OneLevel {
  int q0, w;
  std::vector<int> tile_q;  // per tile
  std::vector<double> d, panel, lambda_r;
  std::vector<int64_t> panel_off, row_off, tile_off;
  std::vector<int32_t> row_index, tile_block, rest_q, rest_offset;
  Eigen::MatrixXd lambda0;
  int64_t mc = 0;

  OneLevel(int q0_, int w_, std::vector<int> tq, uint64_t seed) : q0(q0_), w(w_), tile_q(tq) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    const int rows = 7;
    Eigen::MatrixXd z(rows, q0);
    for (int i = 0; i < rows; ++i)
      for (int k = 0; k < q0; ++k) z(i, k) = k == 0 ? 1.0 : normal(rng);
    const Eigen::MatrixXd dm = z.transpose() * z;
    d.assign(dm.data(), dm.data() + q0 * q0);
    for (int q : tile_q) mc += q;
    mc += w;
    Eigen::MatrixXd c(mc, q0);
    for (int64_t i = 0; i < mc; ++i)
      for (int k = 0; k < q0; ++k) c(i, k) = normal(rng);
    panel.assign(c.data(), c.data() + mc * q0);
    panel_off = {0, mc * q0};
    row_off = {0, mc};
    tile_off = {0, static_cast<int64_t>(tile_q.size())};
    for (int64_t i = 0; i < mc; ++i) row_index.push_back(static_cast<int32_t>(i));
    // One rest block per distinct q (1, 2, 3), templates random lower triangular.
    for (int q = 1; q <= 3; ++q) {
      rest_q.push_back(q);
      rest_offset.push_back(static_cast<int32_t>(lambda_r.size()));
      const Eigen::MatrixXd l = RandomLower(q, rng);
      lambda_r.insert(lambda_r.end(), l.data(), l.data() + q * q);
    }
    for (int q : tile_q) tile_block.push_back(q - 1);
    lambda0 = RandomLower(q0, rng);
  }
  kernels::LevelView view() const {
    return {1,
            q0,
            d.data(),
            panel_off.data(),
            row_off.data(),
            row_index.data(),
            tile_off.data(),
            tile_block.data(),
            panel.data()};
  }
  kernels::RestLambdas rest() const {
    return {3, rest_q.data(), rest_offset.data(), lambda_r.data()};
  }
  // Lambda_r restricted to the level's rows: its tiles' templates, then I_w.
  Eigen::MatrixXd LambdaRows() const {
    Eigen::MatrixXd lr = Eigen::MatrixXd::Identity(mc, mc);
    int64_t row = 0;
    for (int q : tile_q) {
      lr.block(row, row, q, q) =
          Eigen::Map<const Eigen::MatrixXd>(lambda_r.data() + rest_offset[q - 1], q, q);
      row += q;
    }
    return lr;
  }
};

TEST(LevelMath, EliminateLevelMatchesEigen) {
  uint64_t seed = 0;
  const std::vector<std::vector<int>> tilings = {{}, {1}, {2, 1, 3}, {3, 3, 1, 1, 2, 2}};
  for (int q0 : {1, 2, 3, 8})
    for (int w : {1, 4})
      for (const std::vector<int>& tiles : tilings) {
        const OneLevel lv(q0, w, tiles, ++seed);
        SCOPED_TRACE("q0 " + std::to_string(q0) + " w " + std::to_string(w) + " tiles " +
                     std::to_string(tiles.size()));
        std::vector<double> out(lv.panel.size(), -1.0), l(q0 * q0, 0.0);
        double logdet = 0;
        ASSERT_TRUE(kernels::EliminateLevel(lv.view(), lv.rest(), lv.lambda0.data(), 0, l.data(),
                                            out.data(), &logdet));
        const Eigen::Map<const Eigen::MatrixXd> dm(lv.d.data(), q0, q0);
        const Eigen::MatrixXd inner =
            lv.lambda0.transpose() * dm * lv.lambda0 + Eigen::MatrixXd::Identity(q0, q0);
        const Eigen::MatrixXd lref = inner.llt().matrixL();
        const Eigen::Map<const Eigen::MatrixXd> c(lv.panel.data(), lv.mc, q0);
        const Eigen::MatrixXd pref =
            lref.triangularView<Eigen::Lower>()
                .solve((lv.LambdaRows().transpose() * c * lv.lambda0).transpose())
                .transpose();
        const Eigen::Map<const Eigen::MatrixXd> lgot(l.data(), q0, q0), pgot(out.data(), lv.mc, q0);
        EXPECT_LE((Eigen::MatrixXd(lgot.triangularView<Eigen::Lower>()) - lref).norm(),
                  kFunction * lref.norm());
        EXPECT_LE((pgot - pref).norm(), kFunction * (pref.norm() + 1));
        EXPECT_NEAR(logdet, 2.0 * lref.diagonal().array().log().sum(),
                    kFunction * (1 + std::abs(logdet)));
      }
}

TEST(LevelMath, EliminateLevelReportsNonFiniteInput) {
  OneLevel lv(2, 3, {1, 2}, 7);
  lv.d[3] = std::nan("");
  std::vector<double> out(lv.panel.size()), l(4);
  double logdet = 0;
  EXPECT_FALSE(kernels::EliminateLevel(lv.view(), lv.rest(), lv.lambda0.data(), 0, l.data(),
                                       out.data(), &logdet));
}

// Rows of S for rest blocks with q = 2 (3 levels), 1 (4 levels), 3 (2 levels) and w = 3.
TEST(LevelMath, ScaledRestEntryMatchesEigen) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal;
  const std::vector<std::pair<int, int>> blocks = {{2, 3}, {1, 4}, {3, 2}};  // (q, levels)
  std::vector<int32_t> rest_q, rest_offset, row_block, row_base;
  std::vector<double> lambda_r;
  int64_t mt = 0;
  for (size_t b = 0; b < blocks.size(); ++b) {
    const auto [q, levels] = blocks[b];
    rest_q.push_back(q);
    rest_offset.push_back(static_cast<int32_t>(lambda_r.size()));
    const Eigen::MatrixXd l = RandomLower(q, rng);
    lambda_r.insert(lambda_r.end(), l.data(), l.data() + q * q);
    for (int lv = 0; lv < levels; ++lv)
      for (int e = 0; e < q; ++e) {
        row_block.push_back(static_cast<int32_t>(b));
        row_base.push_back(static_cast<int32_t>(mt + lv * q));
      }
    mt += q * levels;
  }
  const int w = 3;
  const int64_t m = mt + w;
  for (int e = 0; e < w; ++e) {
    row_block.push_back(-1);
    row_base.push_back(static_cast<int32_t>(mt + e));
  }
  Eigen::MatrixXd g(m + 5, m);
  for (int64_t i = 0; i < g.size(); ++i) g.data()[i] = normal(rng);
  const Eigen::MatrixXd a = g.transpose() * g;
  Eigen::MatrixXd lr = Eigen::MatrixXd::Identity(m, m);
  for (int64_t r = 0; r < mt; ++r)
    if (row_base[r] == r) {
      const int q = rest_q[row_block[r]];
      lr.block(r, r, q, q) =
          Eigen::Map<const Eigen::MatrixXd>(lambda_r.data() + rest_offset[row_block[r]], q, q);
    }
  Eigen::MatrixXd expected = lr.transpose() * a * lr;
  expected.topLeftCorner(mt, mt) += Eigen::MatrixXd::Identity(mt, mt);
  const kernels::RestRows rows{m, mt, row_block.data(), row_base.data()};
  const kernels::RestLambdas rest{3, rest_q.data(), rest_offset.data(), lambda_r.data()};
  for (int64_t j = 0; j < m; ++j)
    for (int64_t i = j; i < m; ++i)
      EXPECT_NEAR(kernels::ScaledRestEntry(rows, rest, a.data(), m, i, j), expected(i, j),
                  kFunction * expected.norm())
          << "entry " << i << ", " << j;
}

struct Pipeline {
  ThetaLayout layout;
  CpuEvaluator cpu;
  gpu::HostLevels levels;
  std::vector<double> lambda0, lambda_r;
  gpu::OneTermSolution solution;

  explicit Pipeline(const ModelFrame& frame)
      : layout(frame),
        cpu(frame, EvaluatorOptions{}),
        levels(gpu::PackLevels(cpu.cross_products())) {}

  void Fill(const std::vector<double>& theta) {
    const cpu::CrossProducts& cp = cpu.cross_products();
    lambda0.assign(cp.q0 * cp.q0, 0.0);
    lambda_r.assign(levels.lambda_r_size, 0.0);
    layout.term(cp.term0).FillLambda(layout.TermTheta(theta, cp.term0), lambda0.data());
    for (size_t b = 0; b < cp.rest.size(); ++b)
      layout.term(cp.rest[b].term)
          .FillLambda(layout.TermTheta(theta, cp.rest[b].term),
                      lambda_r.data() + levels.rest_offset[b]);
  }
  Status Update(const std::vector<double>& theta) {
    Fill(theta);
    return gpu::HostMultiTermUpdate(cpu.cross_products(), levels, lambda0.data(), lambda_r.data(),
                                    &solution);
  }
};

double Objective(const gpu::OneTermSolution& s, int64_t n, int p, bool reml) {
  return ProfiledObjective(s.logdet_l, s.logdet_rx, s.pwrss, n, p, reml);
}

void ExpectMatchesCpu(Pipeline& pl, const ModelFrame& frame, const std::vector<double>& theta,
                      bool reml) {
  ASSERT_TRUE(pl.cpu.Update(theta).ok());
  const Status s = pl.Update(theta);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const gpu::OneTermSolution& h = pl.solution;
  EXPECT_NEAR(h.logdet_l, pl.cpu.logdet_l(), kVsCpu * (1 + std::abs(pl.cpu.logdet_l())));
  EXPECT_NEAR(h.logdet_rx, pl.cpu.logdet_rx(), kVsCpu * (1 + std::abs(pl.cpu.logdet_rx())));
  EXPECT_NEAR(h.pwrss, pl.cpu.pwrss(), kVsCpu * pl.cpu.pwrss());
  const double expected = pl.cpu.Objective(reml);
  EXPECT_NEAR(Objective(h, frame.n(), frame.p(), reml), expected, kVsCpu * std::abs(expected));
  const double sigma = std::sqrt(pl.cpu.sigma2(reml));
  for (int i = 0; i < frame.p(); ++i)
    EXPECT_NEAR(h.beta(i), pl.cpu.beta()(i), kVsCpu * (std::abs(pl.cpu.beta()(i)) + sigma));
  EXPECT_LE((h.rx - pl.cpu.rx()).norm(), kVsCpu * pl.cpu.rx().norm());
}

TEST(MultiTermHost, MatchesCpuAndLme4OnReferenceModels) {
  const int cases = test::ForEachLme4Case(test::Lme4Terms::kSeveral, [](const test::Lme4Case& c) {
    ASSERT_EQ(GpuModelUnsupportedReason(c.frame), "");
    Pipeline pl(c.frame);
    ExpectMatchesCpu(pl, c.frame, c.theta, c.reml);
    EXPECT_NEAR(Objective(pl.solution, c.frame.n(), c.frame.p(), c.reml), c.value,
                kVsLme4 * std::abs(c.value));
  });
  EXPECT_EQ(cases, 30);
}

// A vector-valued term after block 0 (q_b = 2: the general Lambda_r path, not the scalar one).
TEST(MultiTermHost, VectorValuedRestTermMatchesCpu) {
  const ModelFrame frame = test::LoadFrame(LMM_SHARED_DIR, "sleepstudy",
                                           "Reaction ~ Days + (1 | Subject) + (Days | Subject)");
  Pipeline pl(frame);
  for (const std::vector<double>& theta :
       {pl.layout.start(), std::vector<double>{0.7, 1.1, -0.3, 0.4}})
    for (bool reml : {false, true}) ExpectMatchesCpu(pl, frame, theta, reml);
}

TEST(MultiTermHost, SimulatedCrossedAndNestedModelsMatchCpu) {
  struct Case {
    std::vector<test::CrossedShape::Term> terms;
    int64_t rows;
    int p;
    bool nest;
  };
  // Crossed scalar terms (users x items); block 0 with q0 = 2 and 3 and a vector rest term;
  // three terms; a nested pair; a one-term model with p + 1 > 32 (wider than the one-term
  // kernels); levels with one row and empty levels (2000 levels drawn by 600 rows).
  const Case cases[] = {
      {{{300, 1}, {120, 1}}, 3000, 2, false},         {{{200, 2}, {40, 2}}, 2500, 3, false},
      {{{150, 3}, {30, 1}, {12, 2}}, 2000, 2, false}, {{{2000, 1}, {50, 1}}, 600, 1, false},
      {{{400, 1}, {40, 1}}, 3000, 2, true},           {{{60, 2}}, 1500, 33, false}};
  uint64_t seed = 0;
  for (const Case& c : cases) {
    test::CrossedShape shape;
    shape.terms = c.terms;
    shape.rows = c.rows;
    shape.p = c.p;
    shape.nest = c.nest;
    shape.seed = ++seed;
    const ModelFrame frame = test::SimulateCrossedFrame(shape);
    ASSERT_EQ(GpuModelUnsupportedReason(frame), "");
    Pipeline pl(frame);
    std::vector<double> scaled = pl.layout.start();
    for (size_t i = 0; i < scaled.size(); ++i) scaled[i] = scaled[i] * 0.6 + 0.05 * i;
    for (const std::vector<double>& theta : {pl.layout.start(), scaled})
      for (bool reml : {false, true}) {
        SCOPED_TRACE("case " + std::to_string(seed) + (reml ? " REML" : " ML"));
        ExpectMatchesCpu(pl, frame, theta, reml);
      }
  }
}

// The device splits each item's rows over the threads of a block (first = thread, step = block
// size); every entry still receives the same single term, so the split result is bitwise equal.
TEST(MultiTermHost, DowndateItemSplitOverThreadsIsBitwiseEqual) {
  test::CrossedShape shape;
  shape.terms = {{80, 2}, {30, 1}};
  shape.rows = 900;
  const ModelFrame frame = test::SimulateCrossedFrame(shape);
  Pipeline pl(frame);
  pl.Fill(pl.layout.start());
  const cpu::CrossProducts& cp = pl.cpu.cross_products();
  const gpu::MultiTermPass pass =
      gpu::HostMultiTermPass(cp, pl.levels, pl.lambda0.data(), pl.lambda_r.data());
  const kernels::LevelView v = pl.levels.levels(cp);
  const kernels::RestLambdas rest = pl.levels.rest(pl.lambda_r.data());
  for (int threads : {1, 3, 128}) {
    Eigen::MatrixXd s = Eigen::MatrixXd::Zero(cp.m, cp.m);
    for (int64_t j = 0; j < cp.m; ++j)
      for (int64_t i = j; i < cp.m; ++i)
        s(i, j) = kernels::ScaledRestEntry(pl.levels.rows(), rest, cp.a.data(), cp.m, i, j);
    for (int64_t j = 0; j < cp.m; ++j)
      for (int64_t k = pl.levels.item_off[j]; k < pl.levels.item_off[j + 1]; ++k)
        for (int t = 0; t < threads; ++t)
          kernels::DowndateItem(v, pass.panels.data(), pl.levels.item_level[k],
                                pl.levels.item_row[k], t, threads, s.data() + j * cp.m);
    EXPECT_EQ((s - pass.s).cwiseAbs().maxCoeff(), 0.0) << threads << " threads";
  }
}

// The device sums the [X y] block per entry over levels (TrailingProduct) instead of walking
// its columns' items: the same terms, in another order (1e-13 relative).
TEST(MultiTermHost, TrailingProductsSumToTheItemDowndate) {
  for (const int p : {1, 4}) {
    test::CrossedShape shape;
    shape.terms = {{500, 2}, {30, 1}};
    shape.rows = 2000;
    shape.p = p;
    const ModelFrame frame = test::SimulateCrossedFrame(shape);
    Pipeline pl(frame);
    pl.Fill(pl.layout.start());
    const cpu::CrossProducts& cp = pl.cpu.cross_products();
    const gpu::MultiTermPass pass =
        gpu::HostMultiTermPass(cp, pl.levels, pl.lambda0.data(), pl.lambda_r.data());
    const kernels::LevelView v = pl.levels.levels(cp);
    const kernels::RestLambdas rest = pl.levels.rest(pl.lambda_r.data());
    const int w = p + 1;
    const int64_t mt = cp.mt;
    for (int r = 0; r < w; ++r)
      for (int s = 0; s <= r; ++s) {
        double sum = 0;
        for (int64_t c = 0; c < cp.l0; ++c)
          sum += kernels::TrailingProduct(v, pass.panels.data(), c, w, r, s);
        const double entry =
            kernels::ScaledRestEntry(pl.levels.rows(), rest, cp.a.data(), cp.m, mt + r, mt + s) -
            sum;
        EXPECT_NEAR(entry, pass.s(mt + r, mt + s), kFunction * pass.s.norm())
            << "p " << p << " entry " << r << ", " << s;
      }
  }
}

TEST(MultiTermHost, NonFiniteThetaIsNotPositiveDefinite) {
  test::CrossedShape shape;
  const ModelFrame frame = test::SimulateCrossedFrame(shape);
  Pipeline pl(frame);
  std::vector<double> theta = pl.layout.start();
  theta[0] = std::nan("");
  const Status s = pl.Update(theta);
  EXPECT_EQ(s.code(), Status::Code::kNotPositiveDefinite);
}

TEST(GpuSupport, MultiTermModelsAreSupportedLimitsNamed) {
  test::CrossedShape shape;
  EXPECT_EQ(GpuModelUnsupportedReason(test::SimulateCrossedFrame(shape)), "");
  // Past the CPU's dense limit the GPU takes the model (device memory decides, in the probe);
  // past kMaxGpuDenseRest it is refused with the limit named.
  shape.terms = {{20000, 1}, {cpu::kMaxDenseRest, 1}};
  shape.rows = 100;
  EXPECT_EQ(GpuModelUnsupportedReason(test::SimulateCrossedFrame(shape)), "");
  shape.terms = {{600000, 1}, {600000, 1}, {500000, 1}};  // rest: 1.1e6 > kMaxGpuDenseRest
  const ModelFrame large = test::SimulateCrossedFrame(shape);
  const std::string reason = GpuModelUnsupportedReason(large);
  EXPECT_NE(reason.find("1100000 random effects"), std::string::npos) << reason;
  EXPECT_NE(reason.find(std::to_string(cpu::kMaxGpuDenseRest - large.p() - 1)), std::string::npos)
      << reason;
  EXPECT_NE(reason.find("dense"), std::string::npos) << reason;
  shape.terms = {{100, kernels::kMaxClusterQ + 1}, {10, 1}};
  EXPECT_NE(GpuModelUnsupportedReason(test::SimulateCrossedFrame(shape)).find("9 columns"),
            std::string::npos);
  // The bound covers what the evaluator allocates: A and S at least.
  shape.terms = {{300, 1}, {120, 1}};
  const ModelFrame frame = test::SimulateCrossedFrame(shape);
  const int64_t m = 120 + frame.p() + 1;
  EXPECT_GE(MultiTermDeviceBytesBound(frame), 2 * m * m * 8);
}

}  // namespace
}  // namespace lmm
