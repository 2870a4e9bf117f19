// The GPU evaluator's pipeline run on the host: the CPU backend's cross-products packed per
// cluster (cluster_pack.h), the per-cluster functions the kernels run (cluster_math.h) summed over
// clusters, and the dense finish (one_term_host.h), compared with the CPU evaluator and with
// lme4's deviance function at fixed theta.
//
// Tolerances: 1e-12 relative against the CPU evaluator, which forms the same cross-products and
// differs only in the order of the per-cluster sums and in its small-matrix loops (a few ulps per
// cluster, far below 1e-12 of objectives of size 1e2-1e4); 1e-8 against lme4 (as in
// tests/likelihood/lme4_deviance_test.cc: CHOLMOD's sparse factor, a different algorithm).
#include "likelihood/gpu/one_term_host.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numbers>

#include "kernels_host/lme4_cases.h"
#include "kernels_host/simulated_frame.h"
#include "likelihood/cpu/cpu_evaluator.h"
#include "likelihood/evaluator.h"
#include "likelihood/frame_loader.h"
#include "likelihood/gpu/cluster_pack.h"
#include "likelihood/gpu/gpu_probe.h"
#include "likelihood/gpu/one_term_modes.h"
#include "likelihood/objective.h"

namespace lmm {
namespace {

constexpr double kVsCpu = 1e-12;
constexpr double kVsLme4 = 1e-8;

// The host pipeline of GpuEvaluator::Update, with the cluster pass split into shards at `cuts`
// (cluster indices; empty shards allowed).
struct HostPipeline {
  cpu::CrossProducts cp;
  gpu::HostClusters clusters;
  ThetaLayout layout;
  std::vector<double> lambda;
  gpu::OneTermSolution solution;

  explicit HostPipeline(const ModelFrame& frame)
      : cp(cpu::BuildCrossProducts(frame, ThetaLayout(frame))),
        clusters(gpu::PackClusters(cp)),
        layout(frame),
        lambda(clusters.q * clusters.q) {}

  Status Update(std::span<const double> theta, const std::vector<int64_t>& cuts = {}) {
    layout.term(0).FillLambda(layout.TermTheta(theta, 0), lambda.data());
    std::vector<int64_t> bounds = {0};
    bounds.insert(bounds.end(), cuts.begin(), cuts.end());
    bounds.push_back(clusters.clusters);
    gpu::ClusterReduction total;
    total.downdate.assign(kernels::PackedSize(clusters.w), 0.0);
    for (size_t s = 0; s + 1 < bounds.size(); ++s)
      gpu::AddReduction(
          total, gpu::HostClusterPass(clusters.view(), lambda.data(), bounds[s], bounds[s + 1]));
    return gpu::FinishOneTerm(cp, total, &solution);
  }
  double Objective(bool reml) const {
    return ProfiledObjective(solution.logdet_l, solution.logdet_rx, solution.pwrss, cp.n, cp.p,
                             reml);
  }
};

void ExpectMatchesCpu(const ModelFrame& frame, const std::vector<double>& theta, bool reml,
                      const std::vector<int64_t>& cuts = {}) {
  EvaluatorOptions options;
  options.threads = 1;
  const std::unique_ptr<Evaluator> cpu = Evaluator::Create(frame, options);
  const Status cs = cpu->Update(theta);
  ASSERT_TRUE(cs.ok()) << cs.ToString();
  HostPipeline host(frame);
  const Status hs = host.Update(theta, cuts);
  ASSERT_TRUE(hs.ok()) << hs.ToString();
  const double expected = cpu->Objective(reml);
  EXPECT_NEAR(host.Objective(reml), expected, kVsCpu * std::abs(expected));
  EXPECT_NEAR(host.solution.logdet_l, cpu->logdet_l(), kVsCpu * (1 + std::abs(cpu->logdet_l())));
  EXPECT_NEAR(host.solution.pwrss, cpu->pwrss(), kVsCpu * cpu->pwrss());
  const double scale = std::sqrt(cpu->sigma2(reml));
  for (int i = 0; i < frame.p(); ++i) {
    EXPECT_NEAR(host.solution.beta(i), cpu->beta()(i), 1e-10 * (std::abs(cpu->beta()(i)) + scale));
    for (int j = i; j < frame.p(); ++j)
      EXPECT_NEAR(host.solution.rx(i, j), cpu->rx()(i, j), 1e-10 * cpu->rx().norm());
  }
  // Conditional modes and variances by host back-substitution (what GpuEvaluator returns).
  const Eigen::MatrixXd modes =
      gpu::OneTermModes(host.clusters.view(), host.lambda.data(), host.solution.beta_centered);
  const Eigen::MatrixXd cpu_modes = cpu->ConditionalModes(0);
  ASSERT_EQ(modes.rows(), cpu_modes.rows());
  EXPECT_LE((modes - cpu_modes).norm(), 1e-10 * (cpu_modes.norm() + scale));
  const double sigma2 = cpu->sigma2(reml);
  const Eigen::MatrixXd vars =
      gpu::OneTermConditionalVariances(host.clusters.view(), host.lambda.data(), sigma2);
  const Eigen::MatrixXd cpu_vars = cpu->ConditionalVariances(0, sigma2);
  EXPECT_LE((vars - cpu_vars).norm(), 1e-10 * (cpu_vars.norm() + sigma2));
}

TEST(OneTermHost, MatchesCpuAndLme4OnReferenceModels) {
  const int cases = test::ForEachLme4Case(test::Lme4Terms::kOne, [](const test::Lme4Case& c) {
    ASSERT_EQ(GpuModelUnsupportedReason(c.frame), "");
    ExpectMatchesCpu(c.frame, c.theta, c.reml);
    HostPipeline host(c.frame);
    ASSERT_TRUE(host.Update(c.theta).ok());
    EXPECT_NEAR(host.Objective(c.reml), c.value, kVsLme4 * std::abs(c.value));
  });
  // sleepstudy (Days | Subject) ML and REML, dyestuff, orthodont, t43, toy.
  EXPECT_EQ(cases, 36);
}

TEST(OneTermHost, MatchesCpuOnSimulatedModelsWithEdgeSizes) {
  // q = 1..4; clusters of 1 to 3 rows, so many have fewer rows than q, and empty levels.
  for (int q = 1; q <= 4; ++q) {
    test::SimulatedShape shape;
    shape.clusters = 300;
    shape.q = q;
    shape.p = 3;
    shape.min_rows = 1;
    shape.max_rows = 3 + q;
    shape.empty_levels = 2;
    shape.seed = 100 + q;
    const ModelFrame frame = test::SimulateOneTermFrame(shape);
    const ThetaLayout layout(frame);
    for (const std::vector<double>& theta :
         {layout.start(), test::UnstructuredTheta(q, 0.5), test::UnstructuredTheta(q, 2.0)})
      for (bool reml : {false, true}) {
        SCOPED_TRACE("q " + std::to_string(q) + (reml ? " REML" : " ML") + " theta[0] " +
                     std::to_string(theta[0]));
        ExpectMatchesCpu(frame, theta, reml);
      }
  }
}

TEST(OneTermHost, ShardsIncludingEmptyOnesSumToTheWhole) {
  test::SimulatedShape shape;
  shape.clusters = 257;
  shape.q = 2;
  shape.seed = 9;
  const ModelFrame frame = test::SimulateOneTermFrame(shape);
  const std::vector<double> theta = test::UnstructuredTheta(2, 1.0);
  ExpectMatchesCpu(frame, theta, true, {0, 0, 100, 100, 257});
  ExpectMatchesCpu(frame, theta, false, {1, 128, 256});
}

TEST(OneTermHost, NoClustersIsTheLinearModel) {
  // With every cluster left out, S = [X y]'[X y]: pwrss is the least-squares residual sum of
  // squares and beta the least-squares estimate.
  test::SimulatedShape shape;
  shape.clusters = 40;
  shape.p = 3;
  shape.seed = 5;
  const ModelFrame frame = test::SimulateOneTermFrame(shape);
  HostPipeline host(frame);
  const std::vector<double> theta = host.layout.start();
  host.layout.term(0).FillLambda(host.layout.TermTheta(theta, 0), host.lambda.data());
  const gpu::ClusterReduction none =
      gpu::HostClusterPass(host.clusters.view(), host.lambda.data(), 0, 0);
  EXPECT_EQ(none.logdet, 0.0);
  EXPECT_EQ(none.first_failed, -1);
  ASSERT_TRUE(gpu::FinishOneTerm(host.cp, none, &host.solution).ok());
  const Eigen::VectorXd beta = frame.x.colPivHouseholderQr().solve(frame.y);
  const double rss = (frame.y - frame.x * beta).squaredNorm();
  EXPECT_NEAR(host.solution.pwrss, rss, 1e-12 * rss);
  for (int i = 0; i < frame.p(); ++i)
    EXPECT_NEAR(host.solution.beta(i), beta(i), 1e-12 * (1 + std::abs(beta(i))));
  const double n = static_cast<double>(frame.n());
  EXPECT_NEAR(host.Objective(false), n * (1 + std::log(2 * std::numbers::pi * rss / n)), 1e-12 * n);
}

TEST(OneTermHost, NonFiniteThetaNamesTheFirstFailingCluster) {
  test::SimulatedShape shape;
  shape.clusters = 20;
  shape.q = 1;
  const ModelFrame frame = test::SimulateOneTermFrame(shape);
  HostPipeline host(frame);
  const std::vector<double> theta = {std::numeric_limits<double>::quiet_NaN()};
  const Status s = host.Update(theta, {7});
  EXPECT_EQ(s.code(), Status::Code::kNotPositiveDefinite);
  EXPECT_EQ(s.index(), 0);
}

TEST(GpuSupport, OneTermModelsAreSupportedLimitsNamed) {
  test::SimulatedShape shape;
  const ModelFrame one = test::SimulateOneTermFrame(shape);
  EXPECT_EQ(GpuModelUnsupportedReason(one), "");
  ModelFrame two = one;
  two.random.push_back(two.random[0]);
  EXPECT_EQ(GpuModelUnsupportedReason(two), "");  // the multi-term evaluator
  EXPECT_FALSE(UsesOneTermKernels(two));
  EXPECT_TRUE(UsesOneTermKernels(one));
  shape.q = kernels::kMaxClusterQ + 1;
  const ModelFrame wide = test::SimulateOneTermFrame(shape);
  EXPECT_NE(GpuModelUnsupportedReason(wide).find("9 columns"), std::string::npos);
}

}  // namespace
}  // namespace lmm
