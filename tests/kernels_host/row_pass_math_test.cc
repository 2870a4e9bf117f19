// The device one-time pass's mathematics (kernels/row_pass_math.h) run on the host as the kernels
// run it (gpu::HostRowPass: chunks, stable grouping by cluster, one run per cluster, double-double
// [X y]'[X y] over the kernels' block shape), against cpu::BuildCrossProducts on frames whose rows
// are in random cluster order: q = 1, 2, 3, 8; clusters with one row; clusters with fewer rows
// than columns; empty levels; chunks of 1, 7 and all rows; an empty chunk. Then the whole one-term
// GPU pipeline fed from this pass (host reduction and finish) against the CPU evaluator.
//
// Tolerances. Per-cluster sums: the pass adds each entry's products in row order with separate
// roundings, which is the CPU pass's sequence term by term, so they agree exactly in practice;
// the test allows 1e-12 of the Cauchy-Schwarz scale sqrt(sum u^2 sum v^2) of the entry (a bound
// on sum |u v| and hence on any summation order's error, n eps of it [Higham 2002, sec. 4.2];
// clusters here have under 100 rows). [X y]'[X y]: the CPU sums in long double (64-bit
// significand), the pass in double-double (about 106 bits), so the two differ by at most
// about n 2^-64 of the same scale after rounding to double: 1e-12 of sqrt(a_ii a_jj) bounds it
// for the n <= 1e5 rows here. Objectives: 1e-10 relative (issue 4's GPU-vs-CPU tolerance).
#include "row_pass_math.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "kernels_host/simulated_frame.h"
#include "likelihood/evaluator.h"
#include "likelihood/gpu/one_term_host.h"
#include "likelihood/gpu/row_pass_host.h"
#include "likelihood/objective.h"
#include "model/theta_layout.h"

namespace lmm {
namespace {

constexpr double kSums = 1e-12;
constexpr double kObjective = 1e-10;

// Per cluster, sum of squares of each z column and each centered [x y] column (the scales).
struct Scales {
  std::vector<double> zz, vv;  // clusters x q, clusters x w
};

Scales ClusterScales(const ModelFrame& f, const cpu::CenteringInfo& cen) {
  const RandomEffectTerm& t = f.random[0];
  const int q = t.q(), w = f.p() + 1;
  Scales s;
  s.zz.assign(t.levels * q, 0.0);
  s.vv.assign(t.levels * w, 0.0);
  for (int64_t i = 0; i < f.n(); ++i) {
    const int64_t c = t.level[i];
    for (int a = 0; a < q; ++a) s.zz[c * q + a] += t.z(i, a) * t.z(i, a);
    for (int r = 0; r < w; ++r) {
      const double v = r < w - 1 ? f.x(i, r) - cen.x_shift(r) : f.y(i) - cen.y_shift;
      s.vv[c * w + r] += v * v;
    }
  }
  return s;
}

void ExpectMatchesCpuPass(const ModelFrame& frame, int64_t chunk_rows) {
  SCOPED_TRACE("chunk rows " + std::to_string(chunk_rows));
  const cpu::CrossProducts cp = cpu::BuildCrossProducts(frame, ThetaLayout(frame));
  const gpu::HostClusters ref = gpu::PackClusters(cp);
  const cpu::CenteringInfo cen = gpu::RowPassCentering(frame);
  const gpu::RowPassResult got = gpu::HostRowPass(frame, cen, chunk_rows);
  const gpu::HostClusters& h = got.clusters;
  ASSERT_EQ(h.clusters, ref.clusters);
  ASSERT_EQ(h.q, ref.q);
  ASSERT_EQ(h.w, ref.w);
  const int q = h.q, w = h.w;
  const int64_t n = h.clusters;
  const Scales s = ClusterScales(frame, cen);
  for (int64_t c = 0; c < n; ++c) {
    for (int a = 0; a < q; ++a)
      for (int b = 0; b <= a; ++b) {
        const int64_t at = kernels::PackedIndex(a, b) * n + c;
        const double scale = std::sqrt(s.zz[c * q + a] * s.zz[c * q + b]);
        ASSERT_NEAR(h.d[at], ref.d[at], kSums * scale)
            << "D cluster " << c << " (" << a << ", " << b << ")";
      }
    for (int a = 0; a < q; ++a)
      for (int r = 0; r < w; ++r) {
        const int64_t at = static_cast<int64_t>(r + a * w) * n + c;
        const double scale = std::sqrt(s.vv[c * w + r] * s.zz[c * q + a]);
        ASSERT_NEAR(h.panel[at], ref.panel[at], kSums * scale)
            << "G cluster " << c << " (" << r << ", " << a << ")";
      }
  }
  for (int i = 0; i < w; ++i)
    for (int j = 0; j <= i; ++j)
      EXPECT_NEAR(got.xx[kernels::PackedIndex(i, j)], cp.a(i, j),
                  kSums * std::sqrt(cp.a(i, i) * cp.a(j, j)))
          << "[X y]'[X y] (" << i << ", " << j << ")";
}

TEST(RowPassMath, CentersAreTheCpuPassCentersExactly) {
  for (const bool intercept : {true, false}) {
    ModelFrame frame = test::SimulateShuffledFrame(50, 2, 3, 1, 5, 7);
    if (!intercept) frame.x.col(0).setLinSpaced(frame.n(), 1.0, 2.0);  // not constant
    const cpu::CrossProducts cp = cpu::BuildCrossProducts(frame, ThetaLayout(frame));
    const cpu::CenteringInfo got = gpu::RowPassCentering(frame);
    EXPECT_EQ(got.centered, cp.centering.centered);
    EXPECT_EQ(got.centered, intercept);
    EXPECT_EQ(got.intercept, cp.centering.intercept);
    EXPECT_EQ(got.y_shift, cp.centering.y_shift);
    ASSERT_EQ(got.x_shift.size(), cp.centering.x_shift.size());
    for (int j = 0; j < frame.p(); ++j) EXPECT_EQ(got.x_shift(j), cp.centering.x_shift(j));
    cpu::ThreadPool pool(3);  // one column per task: the same sums
    const cpu::CenteringInfo pooled = gpu::RowPassCentering(frame, &pool);
    EXPECT_EQ(pooled.y_shift, got.y_shift);
    for (int j = 0; j < frame.p(); ++j) EXPECT_EQ(pooled.x_shift(j), got.x_shift(j));
  }
}

TEST(RowPassMath, MatchesCpuCrossProductsOnShuffledRows) {
  struct Case {
    int64_t clusters;
    int q, p, min_rows, max_rows;
  };
  // One-row clusters; clusters with fewer rows than q + p + 1 columns; w = 32 (p = 31).
  // Runs of kLongRun rows or more (the kernels' warp path) in the 20-cluster case.
  const Case cases[] = {{200, 1, 1, 1, 3},  {200, 2, 3, 1, 4},   {150, 3, 4, 1, 2},
                        {60, 8, 2, 1, 12},  {40, 2, 31, 1, 40},  {1, 1, 2, 5, 5},
                        {3000, 2, 4, 1, 6}, {20, 2, 3, 200, 700}};
  for (const Case& c : cases) {
    SCOPED_TRACE("clusters " + std::to_string(c.clusters) + " q " + std::to_string(c.q) + " p " +
                 std::to_string(c.p));
    const ModelFrame frame = test::SimulateShuffledFrame(c.clusters, c.q, c.p, c.min_rows,
                                                         c.max_rows, 100 + c.q * 10 + c.p);
    for (const int64_t chunk : {int64_t{1}, int64_t{7}, frame.n()}) {
      ExpectMatchesCpuPass(frame, chunk);
      if (HasFatalFailure()) return;
    }
  }
}

TEST(RowPassMath, PerClusterSumsDoNotDependOnTheChunkSize) {
  // Each entry is summed in row order whatever the chunks: bitwise the same arrays.
  const ModelFrame frame = test::SimulateShuffledFrame(500, 3, 2, 1, 8, 31);
  const cpu::CenteringInfo cen = gpu::RowPassCentering(frame);
  const gpu::RowPassResult all = gpu::HostRowPass(frame, cen, frame.n());
  for (const int64_t chunk : {int64_t{1}, int64_t{7}, int64_t{1000}}) {
    const gpu::RowPassResult r = gpu::HostRowPass(frame, cen, chunk);
    EXPECT_EQ(r.clusters.d, all.clusters.d) << chunk;
    EXPECT_EQ(r.clusters.panel, all.clusters.panel) << chunk;
  }
}

TEST(RowPassMath, EmptyChunkChangesNothing) {
  const ModelFrame frame = test::SimulateShuffledFrame(20, 2, 3, 1, 4, 3);
  const cpu::CenteringInfo cen = gpu::RowPassCentering(frame);
  gpu::RowPassResult r = gpu::HostRowPass(frame, cen, 5);
  const gpu::RowPassResult before = r;
  std::vector<double> xx_dd(2 * r.xx.size(), 0.0);
  const kernels::ClusterSums sums{r.clusters.clusters, r.clusters.q, r.clusters.w,
                                  r.clusters.d.data(), r.clusters.panel.data()};
  gpu::HostRowPassChunk(frame, gpu::ShiftVector(cen), 3, 0, sums, xx_dd);
  EXPECT_EQ(r.clusters.d, before.clusters.d);
  EXPECT_EQ(r.clusters.panel, before.clusters.panel);
  EXPECT_EQ(xx_dd, std::vector<double>(xx_dd.size(), 0.0));
  EXPECT_EQ(kernels::ShapeXxPass(0).blocks, 0);
}

TEST(RowPassMath, LongRunsAreFoundFromTheirFirstRow) {
  // Keys: a run of kLongRun - 1 rows, one of exactly kLongRun rows, then one of 3 at the end.
  const int64_t l = kernels::kLongRun;
  std::vector<uint32_t> key;
  key.insert(key.end(), l - 1, 4);
  key.insert(key.end(), l, 5);
  key.insert(key.end(), 3, 9);
  const kernels::GroupedChunk g{static_cast<int64_t>(key.size()), 0, nullptr, key.data()};
  EXPECT_TRUE(kernels::StartsSegment(g, 0));
  EXPECT_FALSE(kernels::IsLongRun(g, 0));
  EXPECT_EQ(kernels::SegmentEnd(g, 0), l - 1);
  EXPECT_TRUE(kernels::StartsSegment(g, l - 1));
  EXPECT_TRUE(kernels::IsLongRun(g, l - 1));
  EXPECT_EQ(kernels::SegmentEnd(g, l - 1), 2 * l - 1);
  EXPECT_FALSE(kernels::StartsSegment(g, l));
  EXPECT_TRUE(kernels::StartsSegment(g, 2 * l - 1));
  EXPECT_FALSE(kernels::IsLongRun(g, 2 * l - 1));  // would read past the chunk's end
  EXPECT_EQ(kernels::SegmentEnd(g, 2 * l - 1), 2 * l + 2);
  EXPECT_EQ(kernels::kLongRun % 32, 0);
}

TEST(RowPassMath, EntriesInAnyOrderGiveTheSameSums) {
  // The warp path hands entries to lanes; each entry's sum is independent of the others'.
  const ModelFrame frame = test::SimulateShuffledFrame(30, 3, 4, 1, 9, 17);
  const cpu::CenteringInfo cen = gpu::RowPassCentering(frame);
  const gpu::RowPassResult ref = gpu::HostRowPass(frame, cen, frame.n());
  // Regroup all rows (one chunk) and add each run entry by entry, in reverse entry order.
  const int64_t n = frame.n();
  const int q = 3, w = 5;
  const RandomEffectTerm& t = frame.random[0];
  std::vector<int32_t> perm(n);
  for (int64_t i = 0; i < n; ++i) perm[i] = static_cast<int32_t>(i);
  std::stable_sort(perm.begin(), perm.end(),
                   [&](int32_t a, int32_t b) { return t.level[a] < t.level[b]; });
  std::vector<double> raw((q + w) * n), sorted((q + w) * n);
  std::vector<uint32_t> keys(n);
  for (int64_t i = 0; i < n; ++i) {
    for (int k = 0; k < q; ++k) raw[k * n + i] = t.z(i, k);
    for (int j = 0; j < w - 1; ++j) raw[(q + j) * n + i] = frame.x(i, j);
    raw[(q + w - 1) * n + i] = frame.y(i);
  }
  const std::vector<double> shift = gpu::ShiftVector(cen);
  for (int64_t r = 0; r < n; ++r) {
    keys[r] = static_cast<uint32_t>(t.level[perm[r]]);
    kernels::GatherCenteredRow(raw.data(), n, perm[r], q, w, shift.data(), sorted.data(), n, r);
  }
  gpu::HostClusters h = ref.clusters;
  std::fill(h.d.begin(), h.d.end(), 0.0);
  std::fill(h.panel.begin(), h.panel.end(), 0.0);
  const kernels::ClusterSums sums{h.clusters, q, w, h.d.data(), h.panel.data()};
  const kernels::GroupedChunk g{n, n, sorted.data(), keys.data()};
  for (int64_t r = 0; r < n; ++r)
    if (kernels::StartsSegment(g, r))
      for (int e = kernels::ClusterEntries(q, w) - 1; e >= 0; --e)
        kernels::AccumulateSegmentEntry(g, r, kernels::SegmentEnd(g, r), sums, e);
  EXPECT_EQ(h.d, ref.clusters.d);
  EXPECT_EQ(h.panel, ref.clusters.panel);
}

TEST(RowPassMath, DoubleDoubleKeepsWhatDoubleLoses) {
  // 1e16 + 1 - 1e16 is 0 in double; the double-double sum keeps the 1 (and products' low parts).
  double hi = 0, lo = 0;
  kernels::DdAddProduct(hi, lo, 1e8, 1e8);
  kernels::DdAddProduct(hi, lo, 1.0, 1.0);
  kernels::DdAddProduct(hi, lo, -1e8, 1e8);
  EXPECT_EQ(hi + lo, 1.0);
  // (1 + 2^-30)^2 = 1 + 2^-29 + 2^-60: the last term is below double's precision at 1.
  const double a = 1.0 + std::ldexp(1.0, -30);
  hi = lo = 0;
  kernels::DdAddProduct(hi, lo, a, a);
  kernels::DdAddProduct(hi, lo, -1.0, 1.0);
  kernels::DdAddProduct(hi, lo, -std::ldexp(1.0, -29), 1.0);
  EXPECT_EQ(hi + lo, std::ldexp(1.0, -60));
  double bh = 0, bl = 0;
  kernels::DdAdd(bh, bl, 1e16, 0.0);
  kernels::DdAdd(bh, bl, 1.0, 0.0);
  kernels::DdAdd(bh, bl, -1e16, 0.0);
  EXPECT_EQ(bh + bl, 1.0);
}

TEST(RowPassMath, ShapesCoverEveryRowOnce) {
  for (const int64_t len : {int64_t{1}, int64_t{7}, int64_t{2048}, int64_t{2049}, int64_t{1} << 21,
                            (int64_t{1} << 21) + 5, int64_t{123456789}}) {
    const kernels::XxPassShape s = kernels::ShapeXxPass(len);
    ASSERT_GT(s.blocks, 0);
    EXPECT_LE(s.blocks, kernels::kXxMaxBlocks);
    EXPECT_GE(s.blocks * s.rows_per_block, len);
    EXPECT_LT((s.blocks - 1) * s.rows_per_block, len);
  }
  for (int e = 0; e < kernels::PackedSize(kernels::kMaxClusterW); ++e) {
    int i = -1, j = -1;
    kernels::UnpackIndex(e, &i, &j);
    ASSERT_TRUE(j >= 0 && j <= i);
    EXPECT_EQ(kernels::PackedIndex(i, j), e);
  }
  EXPECT_GE(kernels::kXxEntriesPerThread * kernels::kXxThreads,
            kernels::PackedSize(kernels::kMaxClusterW));
  EXPECT_EQ(gpu::KeyBits(1), 1);
  EXPECT_EQ(gpu::KeyBits(2), 1);
  EXPECT_EQ(gpu::KeyBits(3), 2);
  EXPECT_EQ(gpu::KeyBits(int64_t{1} << 20), 20);
  EXPECT_EQ(gpu::KeyBits((int64_t{1} << 20) + 1), 21);
}

TEST(RowPassMath, ChunkPlanStaysWithinTheBudget) {
  gpu::RowPassOptions options;
  const int q = 2, w = 5;
  const int64_t rows = gpu::PlanChunkRows(int64_t{100000000}, q, w, options);
  EXPECT_LE(rows * gpu::ChunkDeviceBytesPerRow(q, w), options.device_budget_bytes);
  EXPECT_GT((rows + 1) * gpu::ChunkDeviceBytesPerRow(q, w), options.device_budget_bytes);
  EXPECT_EQ(gpu::PlanChunkRows(1000, q, w, options), 1000);  // never more than n
  options.chunk_rows = 7;
  EXPECT_EQ(gpu::PlanChunkRows(1000, q, w, options), 7);
  options.chunk_rows = 0;
  options.device_budget_bytes = 1;
  EXPECT_EQ(gpu::PlanChunkRows(1000, q, w, options), 1);  // at least one row
}

TEST(RowPassMath, CheckOneTermFrameRefusesWhatTheCpuPassRefuses) {
  ModelFrame frame = test::SimulateShuffledFrame(10, 1, 2, 1, 3, 5);
  frame.random[0].level[3] = static_cast<int32_t>(frame.random[0].levels);
  EXPECT_THROW(gpu::CheckOneTermFrame(frame), Error);
  EXPECT_THROW(cpu::BuildCrossProducts(frame, ThetaLayout(frame)), Error);
}

// The evaluator's device-pass path on the host: the pass's sums, the cluster reduction and the
// dense finish, against the CPU evaluator.
TEST(RowPassMath, EvaluatorFromThePassMatchesCpu) {
  for (const int q : {1, 2, 3}) {
    const ModelFrame frame = test::SimulateShuffledFrame(400, q, 3, 1, 6, 500 + q);
    const cpu::CenteringInfo cen = gpu::RowPassCentering(frame);
    const gpu::RowPassResult pass = gpu::HostRowPass(frame, cen, 7);
    const cpu::CrossProducts cp = gpu::OneTermFinishInputs(frame, cen, pass.xx);
    const ThetaLayout layout(frame);
    EvaluatorOptions options;
    options.threads = 1;
    const std::unique_ptr<Evaluator> cpu_ev = Evaluator::Create(frame, options);
    for (const std::vector<double>& theta :
         {layout.start(), test::UnstructuredTheta(q, 0.4), test::UnstructuredTheta(q, 2.5)}) {
      std::vector<double> lambda(q * q);
      layout.term(0).FillLambda(layout.TermTheta(theta, 0), lambda.data());
      const gpu::ClusterReduction red =
          gpu::HostClusterPass(pass.clusters.view(), lambda.data(), 0, pass.clusters.clusters);
      gpu::OneTermSolution sol;
      ASSERT_TRUE(gpu::FinishOneTerm(cp, red, &sol).ok());
      ASSERT_TRUE(cpu_ev->Update(theta).ok());
      for (const bool reml : {false, true}) {
        const double expected = cpu_ev->Objective(reml);
        const double got =
            ProfiledObjective(sol.logdet_l, sol.logdet_rx, sol.pwrss, frame.n(), frame.p(), reml);
        EXPECT_NEAR(got, expected, kObjective * std::abs(expected)) << "q " << q;
      }
      for (int i = 0; i < frame.p(); ++i)
        EXPECT_NEAR(sol.beta(i), cpu_ev->beta()(i),
                    kObjective * (std::abs(cpu_ev->beta()(i)) + std::sqrt(cpu_ev->sigma2(true))));
    }
  }
}

}  // namespace
}  // namespace lmm
