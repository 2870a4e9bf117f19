// The whitening the GPU kernels run (kernels/whiten_math.h, through the host reference pass of
// likelihood/gpu/residual_pack.h) against the CPU path: cpu::BuildCrossProducts on the frame
// whitened as ResidualEvaluator whitens it, and ResidualEvaluator's objective at fixed (theta, u).
//
// Tolerances. Cross-products: each entry is a dot product of two whitened columns over a
// cluster's rows (D_c, G_c) or over all rows (A); both sides whiten with the same L^{-1} (same
// Eigen steps) but sum the triangular product and the dot products in different orders (Eigen's
// blocked product and long double X'X on the CPU). The rounding error of a dot product of length
// n is below n eps |u||v| [Higham 2002, sec. 3.1], with n <= 1,200 here: 1.4e-13 |u||v|; the
// whitened values differ by a few ulps of sum_k |L^{-1}_ik x_k|, at most ~10x the values
// themselves for these correlations. So |a - b| <= 1e-12 sqrt(a_ii a_jj) (Cauchy-Schwarz scale,
// since single entries can cancel to ~0). Objectives: 1e-10 relative (the GPU tests' tolerance):
// the finish subtracts sum_c P_c P_c' from A, which can lose a few digits more.
#include "whiten_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "kernels_host/residual_case.h"
#include "likelihood/cpu/cross_products.h"
#include "likelihood/gpu/one_term_host.h"
#include "likelihood/gpu/one_term_modes.h"
#include "likelihood/gpu/residual_pack.h"
#include "likelihood/objective.h"
#include "likelihood/residual/residual_evaluator.h"

namespace lmm {
namespace {

using kernels::PackedIndex;

constexpr double kCross = 1e-12;
constexpr double kObjective = 1e-10;

// The host pipeline of GpuResidualEvaluator at one u.
struct HostWhitening {
  gpu::ResidualPatterns patterns;
  gpu::HostResidualRows rows;
  gpu::PatternFactors factors;
  cpu::CenteringInfo centering;
  std::vector<double> shift;
  gpu::WhitenedClusters white;
  double logdet_r = 0;
};

HostWhitening Whiten(const test::ResidualCase& c, const std::vector<double>& u) {
  HostWhitening h;
  c.structure->Prepare(u);
  h.patterns = gpu::FindPatterns(c.clusters, *c.structure);
  h.rows = gpu::PackResidualRows(c.frame, c.clusters, h.patterns);
  EXPECT_TRUE(gpu::FactorPatterns(*c.structure, h.patterns, h.rows, &h.factors).ok());
  h.logdet_r = gpu::SumLogdetR(c.clusters, h.patterns, h.factors);
  const cpu::CenteringInfo original = gpu::OriginalCentering(c.frame);
  h.centering = h.factors.identity && original.centered ? original : gpu::Uncentered(c.frame.p());
  h.shift = gpu::ShiftOf(h.centering);
  h.white = gpu::HostWhitenPass(h.rows.view(h.factors.inverses.data(), h.shift.data()));
  return h;
}

void ExpectNearScaled(double actual, double expected, double scale, const std::string& what) {
  EXPECT_LE(std::abs(actual - expected), kCross * scale + 1e-300)
      << what << ": " << actual << " vs " << expected;
}

// D_c, G_c and A of the host pass against BuildCrossProducts of `white` (the reference frame).
void ExpectSameCrossProducts(const HostWhitening& h, const ModelFrame& white) {
  const ThetaLayout layout(white);
  const cpu::CrossProducts cp = cpu::BuildCrossProducts(white, layout);
  ASSERT_EQ(cp.centering.centered, h.centering.centered);
  const int q = cp.q0, w = cp.p + 1, p = cp.p;
  const gpu::HostClusters& hc = h.white.clusters;
  ASSERT_EQ(hc.clusters, cp.l0);
  // Per-level squared norms of the (centered) whitened [X y] columns, for the panel's scale.
  const RandomEffectTerm& t = white.random[0];
  Eigen::MatrixXd norms = Eigen::MatrixXd::Zero(cp.l0, w);
  for (int64_t i = 0; i < white.n(); ++i)
    for (int r = 0; r < w; ++r) {
      const double v =
          r < p ? white.x(i, r) - cp.centering.x_shift(r) : white.y(i) - cp.centering.y_shift;
      norms(t.level[i], r) += v * v;
    }
  for (int64_t c = 0; c < cp.l0; ++c) {
    const double* d = cp.d.data() + c * q * q;
    const double* panel = cp.panel.data() + cp.panel_off[c];
    ASSERT_EQ(cp.panel_rows(c), w);
    for (int i = 0; i < q; ++i)
      for (int j = 0; j <= i; ++j)
        ExpectNearScaled(hc.d[PackedIndex(i, j) * hc.clusters + c], d[i + j * q],
                         std::sqrt(d[i + i * q] * d[j + j * q]), "D");
    for (int a = 0; a < q; ++a)
      for (int r = 0; r < w; ++r)
        ExpectNearScaled(hc.panel[(r + a * w) * hc.clusters + c], panel[r + a * w],
                         std::sqrt(norms(c, r) * d[a + a * q]), "G");
  }
  for (int i = 0; i < w; ++i)
    for (int j = 0; j <= i; ++j)
      ExpectNearScaled(h.white.a[PackedIndex(i, j)], cp.a(i, j), std::sqrt(cp.a(i, i) * cp.a(j, j)),
                       "A");
}

std::vector<std::unique_ptr<test::ResidualCase>> Cases() {
  std::vector<std::unique_ptr<test::ResidualCase>> cases = test::ReferenceResidualCases();
  cases.push_back(test::LoadResidualCase("orthodont.csv", "distance ~ age + Sex + (1 | Subject)",
                                         "banded(1, time = age, by = Sex)", {"age", "Sex"}));
  test::SimulatedShape shape;
  shape.clusters = 150;
  shape.q = 2;
  shape.p = 3;
  shape.min_rows = 1;
  shape.max_rows = 9;
  shape.empty_levels = 2;
  shape.seed = 5;
  cases.push_back(test::SimulatedResidualCase(shape, "ar(1, time = t)"));
  cases.push_back(test::SimulatedResidualCase(shape, "exponential(time = t)"));
  return cases;
}

TEST(WhitenMath, CrossProductsMatchTheCpuOnesOfTheWhitenedFrame) {
  for (const auto& c : Cases()) {
    for (double scale : {0.6, -0.35}) {
      SCOPED_TRACE(c->name + ", u scale " + std::to_string(scale));
      const std::vector<double> u = test::SomeU(*c->structure, scale);
      const HostWhitening h = Whiten(*c, u);
      EXPECT_FALSE(h.factors.identity);
      double logdet_r = 0;
      const ModelFrame white = test::WhitenFrame(*c, &logdet_r);
      ExpectSameCrossProducts(h, white);
      EXPECT_NEAR(h.logdet_r, logdet_r, 1e-12 * (1 + std::abs(logdet_r)));
    }
  }
}

// At u = 0 every L^{-1} is the identity (all but the exponential, whose rho is then 1/2): the
// whitened frame is the original one, which the CPU centers (an intercept); the pass must apply
// the same shifts.
TEST(WhitenMath, AtTheIdentityTheCpuCenteringIsApplied) {
  for (const auto& c : Cases()) {
    SCOPED_TRACE(c->name);
    const HostWhitening h = Whiten(*c, c->structure->Start());
    if (c->spec.type == residual::ResidualType::kExponential) {
      EXPECT_FALSE(h.factors.identity);
      continue;
    }
    EXPECT_TRUE(h.factors.identity);
    EXPECT_TRUE(h.centering.centered);
    EXPECT_EQ(h.logdet_r, 0.0);
    ExpectSameCrossProducts(h, c->frame);
  }
}

// The whole host pipeline of GpuResidualEvaluator (whitening pass, cluster pass, finish, plus
// sum_c log|R_c|) against ResidualEvaluator at several (theta, u), ML and REML; and the
// conditional modes.
TEST(WhitenMath, HostPipelineObjectiveMatchesTheResidualEvaluator) {
  for (const auto& c : Cases()) {
    ResidualEvaluator ev(c->frame, c->clusters, *c->structure, EvaluatorOptions{});
    const ThetaLayout& layout = ev.layout();
    const int q = c->frame.random[0].q();
    for (double scale : {0.0, 0.6, -0.35}) {
      const std::vector<double> u = test::SomeU(*c->structure, scale);
      const HostWhitening h = Whiten(*c, u);
      ASSERT_TRUE(ev.SetResidualParameters(u).ok());
      EXPECT_EQ(h.logdet_r, ev.logdet_r());
      cpu::CrossProducts cp;
      cp.p = c->frame.p();
      cp.a = gpu::UnpackSymmetric(h.white.a, cp.p + 1);
      cp.centering = h.centering;
      for (double th : {0.3, 1.0, 2.5}) {
        SCOPED_TRACE(c->name + ", u scale " + std::to_string(scale) + ", theta " +
                     std::to_string(th));
        const std::vector<double> theta = test::UnstructuredTheta(q, th);
        std::vector<double> lambda(static_cast<size_t>(q * q));
        layout.term(0).FillLambda(layout.TermTheta(theta, 0), lambda.data());
        const gpu::ClusterReduction red = gpu::HostClusterPass(
            h.white.clusters.view(), lambda.data(), 0, h.white.clusters.clusters);
        gpu::OneTermSolution sol;
        ASSERT_TRUE(gpu::FinishOneTerm(cp, red, &sol).ok());
        ASSERT_TRUE(ev.Update(theta).ok());
        for (bool reml : {false, true}) {
          const double mine = ProfiledObjective(sol.logdet_l + h.logdet_r, sol.logdet_rx, sol.pwrss,
                                                c->frame.n(), cp.p, reml);
          EXPECT_NEAR(mine, ev.Objective(reml), kObjective * std::abs(ev.Objective(reml)));
        }
        const double sigma = std::sqrt(ev.sigma2(true));
        for (int j = 0; j < cp.p; ++j)
          EXPECT_NEAR(sol.beta(j), ev.beta()(j), 1e-9 * (std::abs(ev.beta()(j)) + sigma));
        const Eigen::MatrixXd modes =
            gpu::OneTermModes(h.white.clusters.view(), lambda.data(), sol.beta_centered);
        const Eigen::MatrixXd ref = ev.ConditionalModes(0);
        ASSERT_EQ(modes.rows(), ref.rows());
        EXPECT_LE((modes - ref).norm(), 1e-9 * (ref.norm() + sigma));
      }
    }
  }
}

// nlme's optimum of ovary_ar2_reml (../shared/reference) as (theta, u): theta = sd(Mare) / sigma,
// u = atanh of the partial autocorrelations (phi1 / (1 - phi2), phi2). The host pipeline's REML
// log-likelihood there is nlme's to nlme's precision (1e-3, as tests/residual).
TEST(WhitenMath, HostPipelineAtTheNlmeOptimumGivesNlmesLoglik) {
  const auto c = test::LoadResidualCase("ovary.csv", "follicles ~ sin1 + cos1 + (1 | Mare)",
                                        "ar(2, time = time)", {"time"});
  std::ifstream in(std::string(LMM_SHARED_DIR) + "/reference/ovary_ar2_reml.json");
  const nlohmann::json ref = nlohmann::json::parse(in);
  const double phi1 = ref["residual_params"][0].get<double>();
  const double phi2 = ref["residual_params"][1].get<double>();
  const std::vector<double> u = {std::atanh(phi1 / (1 - phi2)), std::atanh(phi2)};
  const std::vector<double> theta = {
      std::sqrt(ref["varcomp"][0]["vcov"].get<double>() / ref["varcomp"][1]["vcov"].get<double>())};
  const HostWhitening h = Whiten(*c, u);
  cpu::CrossProducts cp;
  cp.p = c->frame.p();
  cp.a = gpu::UnpackSymmetric(h.white.a, cp.p + 1);
  cp.centering = h.centering;
  const gpu::ClusterReduction red =
      gpu::HostClusterPass(h.white.clusters.view(), theta.data(), 0, h.white.clusters.clusters);
  gpu::OneTermSolution sol;
  ASSERT_TRUE(gpu::FinishOneTerm(cp, red, &sol).ok());
  const double objective = ProfiledObjective(sol.logdet_l + h.logdet_r, sol.logdet_rx, sol.pwrss,
                                             c->frame.n(), cp.p, true);
  EXPECT_NEAR(-0.5 * objective, ref["loglik"].get<double>(), 1e-3);
  EXPECT_NEAR(sol.beta(1), ref["fixed"]["sin1"]["estimate"].get<double>(), 1e-3);
}

TEST(WhitenMath, UnsupportedModelsAreNamed) {
  const auto ovary = test::LoadResidualCase("ovary.csv", "follicles ~ sin1 + cos1 + (1 | Mare)",
                                            "ar(2, time = time)", {"time"});
  EXPECT_EQ(gpu::ResidualGpuUnsupportedReason(ovary->frame, ovary->clusters), "");
  // A cluster past kMaxWhitenRows rows (its packed L^{-1} would overflow int indexing) is refused
  // before anything is sized from it.
  residual::Clusters long_cluster = ovary->clusters;
  long_cluster.max_size = kernels::kMaxWhitenRows + 1;
  EXPECT_NE(gpu::ResidualGpuUnsupportedReason(ovary->frame, long_cluster).find("46341 rows"),
            std::string::npos);
  long_cluster.max_size = kernels::kMaxWhitenRows;
  EXPECT_EQ(gpu::ResidualGpuUnsupportedReason(ovary->frame, long_cluster), "");
  EXPECT_GT(kernels::PackedSize(kernels::kMaxWhitenRows), 0);
  // Clusters that are not the term's levels: group = halves of each Mare's rows (Mare is then
  // constant within a group, as residual structures require).
  auto fine = std::make_unique<test::ResidualCase>();
  fine->frame = ovary->frame;
  fine->columns = ovary->columns;
  const ModelFrame& f = ovary->frame;
  Column g;
  g.name = "half";
  g.numbers.assign(static_cast<size_t>(f.rows_read), 0.0);
  g.missing.assign(g.numbers.size(), 0);
  g.numeric_cells = f.rows_read;
  for (int64_t i = 0; i < f.n(); ++i)
    g.numbers[f.used_rows[i]] = 2.0 * f.random[0].level[i] + static_cast<double>(i % 2);
  fine->columns.push_back(g);
  fine = test::FinishCase(std::move(fine), "independent(group = half)");
  const std::string reason = gpu::ResidualGpuUnsupportedReason(fine->frame, fine->clusters);
  EXPECT_NE(reason.find("not the levels of"), std::string::npos) << reason;
}

}  // namespace
}  // namespace lmm
