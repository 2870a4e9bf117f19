// Many responses per launch on the GPU (GpuResponseBatch, kernels/response_kernels.cu) against the
// CPU, and whole `fit --responses --backend gpu` (lock-step fits) against `--backend cpu`.
// Skipped at run time without a device; label `gpu`.
//
// Tolerances:
//  - batched objectives at fixed thetas vs the CPU evaluator of each response: 1e-10 relative
//    (issue 4's bound for objectives; the same cross-products, per-cluster sums in another fixed
//    order, ~1e-13 expected);
//  - the batched reductions vs the host pass of the same LMM_HD functions (CpuResponseBatch):
//    1e-12 relative to the largest entry (only the summation order differs);
//  - a slot's result does not depend on which other slots are evaluated with it: bit for bit
//    (each evaluation's blocks and reduction tree depend on the number of clusters only);
//  - whole fits: as tests/gpu/gpu_fit_test.cc, 1e-8 relative on the log-likelihood, deviance,
//    residual variance and fixed-effect estimates (scaled by |beta| + sigma); 1e-6 on theta, the
//    standard errors and the variance components (finite differences and flat directions).
#include <gtest/gtest.h>

#if LMM_HAVE_CUDA

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "gpu/device.h"
#include "kernels_host/simulated_frame.h"
#include "likelihood/cpu/cpu_evaluator.h"
#include "likelihood/cpu/cross_products.h"
#include "likelihood/gpu/cluster_pack.h"
#include "likelihood/gpu/gpu_response_batch.h"
#include "likelihood/gpu/one_term_host.h"
#include "likelihood/objective.h"
#include "likelihood/response_batch.h"
#include "model/theta_layout.h"
#include "support/cli_runner.h"

namespace lmm {
namespace {

using nlohmann::json;

struct Fixture {
  ModelFrame frame;
  cpu::CrossProducts shared;
  gpu::HostClusters design;
  std::vector<Eigen::VectorXd> ys;
  std::vector<ResponsePieces> pieces;
};

Fixture MakeFixture(int64_t clusters, int q, int p, int responses, uint64_t seed) {
  Fixture f;
  test::SimulatedShape shape;
  shape.clusters = clusters;
  shape.q = q;
  shape.p = p;
  shape.min_rows = 1;
  shape.max_rows = 12;
  shape.seed = seed;
  f.frame = test::SimulateOneTermFrame(shape);
  f.shared = cpu::BuildCrossProducts(f.frame, ThetaLayout(f.frame));
  f.design = gpu::PackClusters(f.shared);
  std::mt19937_64 rng(seed * 7 + 1);
  std::normal_distribution<double> normal;
  for (int r = 0; r < responses; ++r) {
    Eigen::VectorXd y = f.frame.y;
    for (int64_t i = 0; i < y.size(); ++i) y(i) = (1 + 0.1 * r) * y(i) + normal(rng);
    ModelFrame fr = f.frame;
    fr.y = y;
    f.pieces.push_back(MakeResponsePieces(fr, f.shared));
    f.ys.push_back(std::move(y));
  }
  return f;
}

TEST(GpuResponseBatch, ObjectivesMatchTheCpuEvaluatorOfEachResponse) {
  LMM_SKIP_WITHOUT_DEVICE();
  for (const int q : {1, 2, 3, 5}) {
    const int kResponses = 37;
    const Fixture f = MakeFixture(q == 1 ? 300000 : 3000, q, 4, kResponses, 100 + q);
    Status status;
    std::unique_ptr<GpuResponseBatch> gpu_batch =
        GpuResponseBatch::Create(f.design, kResponses, &status);
    ASSERT_NE(gpu_batch, nullptr) << status.ToString();
    ASSERT_EQ(gpu_batch->capacity(), kResponses);
    CpuResponseBatch cpu_batch(f.design, kResponses);
    std::vector<const ResponsePieces*> group;
    for (const ResponsePieces& p : f.pieces) group.push_back(&p);
    ASSERT_TRUE(gpu_batch->LoadGroup(group).ok());
    ASSERT_TRUE(cpu_batch.LoadGroup(group).ok());

    const ThetaLayout layout(f.frame);
    std::vector<int> slots;
    std::vector<double> lambdas;
    std::vector<std::vector<double>> thetas;
    for (int s = kResponses - 1; s >= 0; s -= 2) {  // every other slot, in reverse
      slots.push_back(s);
      thetas.push_back(test::UnstructuredTheta(q, 0.2 + 0.05 * s));
      std::vector<double> lambda(q * q);
      layout.term(0).FillLambda(thetas.back(), lambda.data());
      lambdas.insert(lambdas.end(), lambda.begin(), lambda.end());
    }
    std::vector<gpu::ClusterReduction> on_gpu, on_cpu;
    ASSERT_TRUE(gpu_batch->Evaluate(slots, lambdas, &on_gpu).ok());
    ASSERT_TRUE(cpu_batch.Evaluate(slots, lambdas, &on_cpu).ok());
    for (size_t i = 0; i < slots.size(); ++i) {
      SCOPED_TRACE(::testing::Message() << "q " << q << " slot " << slots[i]);
      const gpu::ClusterReduction& g = on_gpu[i];
      const gpu::ClusterReduction& c = on_cpu[i];
      EXPECT_EQ(g.first_failed, -1);
      EXPECT_NEAR(g.logdet, c.logdet, 1e-12 * (1 + std::abs(c.logdet)));
      double size = 1;
      for (double v : c.downdate) size = std::max(size, std::abs(v));
      for (size_t e = 0; e < c.downdate.size(); ++e)
        EXPECT_NEAR(g.downdate[e], c.downdate[e], 1e-12 * size) << e;

      // The objective from the GPU's reduction vs the CPU evaluator of this response.
      gpu::OneTermSolution solution;
      ASSERT_TRUE(gpu::FinishOneTerm(f.pieces[slots[i]].finish, g, &solution).ok());
      ModelFrame fr = f.frame;
      fr.y = f.ys[slots[i]];
      CpuEvaluator cpu(fr, EvaluatorOptions{});
      ASSERT_TRUE(cpu.Update(thetas[i]).ok());
      for (const bool reml : {true, false}) {
        const double objective = ProfiledObjective(solution.logdet_l, solution.logdet_rx,
                                                   solution.pwrss, fr.n(), fr.p(), reml);
        EXPECT_NEAR(objective, cpu.Objective(reml), 1e-10 * std::abs(cpu.Objective(reml)));
      }
    }

    // Slot 1 alone gives what it gave among the others, bit for bit.
    const std::vector<int> one = {slots[1]};
    std::vector<gpu::ClusterReduction> alone;
    ASSERT_TRUE(
        gpu_batch->Evaluate(one, std::span<const double>(lambdas).subspan(q * q, q * q), &alone)
            .ok());
    EXPECT_EQ(alone[0].logdet, on_gpu[1].logdet);
    EXPECT_EQ(alone[0].downdate, on_gpu[1].downdate);
  }
}

TEST(GpuResponseBatch, NonFiniteLambdaIsAFailedClusterNotADeviceError) {
  LMM_SKIP_WITHOUT_DEVICE();
  const Fixture f = MakeFixture(500, 2, 2, 2, 7);
  Status status;
  std::unique_ptr<GpuResponseBatch> batch = GpuResponseBatch::Create(f.design, 2, &status);
  ASSERT_NE(batch, nullptr) << status.ToString();
  const std::vector<const ResponsePieces*> group = {&f.pieces[0], &f.pieces[1]};
  ASSERT_TRUE(batch->LoadGroup(group).ok());
  const std::vector<double> lambdas = {NAN, 0, 0, 1, 1, 0, 0, 1};
  std::vector<gpu::ClusterReduction> out;
  ASSERT_TRUE(batch->Evaluate(std::vector<int>{0, 1}, lambdas, &out).ok());
  EXPECT_EQ(out[0].first_failed, 0);
  EXPECT_EQ(out[1].first_failed, -1);
}

// `fit --responses --backend gpu` against `--backend cpu`, through the CLI: one-term models with
// 300 responses (two lock-step groups of at most kLockstepGroup), one of them constant (fails in
// both), REML and ML.
TEST(GpuResponseBatch, FitResponsesOnTheGpuMatchesTheCpu) {
  LMM_SKIP_WITHOUT_DEVICE();
  testing::TempDir dir;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  constexpr int kRows = 3000, kGroups = 150, kResponses = 300;
  std::vector<double> b(kGroups * 2);
  for (double& v : b) v = normal(rng);
  std::string csv = "x,z,g";
  std::string names;
  for (int r = 0; r < kResponses; ++r) {
    csv += fmt::format(",y{}", r);
    names += fmt::format("{}y{}", r ? "," : "", r);
  }
  csv += "\n";
  for (int i = 0; i < kRows; ++i) {
    const int g = (i * 7) % kGroups;
    const double x = normal(rng), z = normal(rng);
    csv += fmt::format("{:.6f},{:.6f},g{}", x, z, g);
    for (int r = 0; r < kResponses; ++r) {
      const double y = r == 17 ? 4.0
                               : 1 + 0.01 * r * x + (1 + r % 5) * 0.3 * b[g] +
                                     0.2 * b[kGroups + g] * z + normal(rng);
      csv += fmt::format(",{:.6f}", y);
    }
    csv += "\n";
  }
  const std::string data = dir.Write("many.csv", csv);
  for (const std::string method : {"--reml", "--ml"}) {
    SCOPED_TRACE(method);
    const auto run = [&](const std::string& backend) {
      const testing::CliResult r =
          testing::RunCli({"fit", "--format", "json", "--data", data, "--formula", "~ x + (z | g)",
                           "--responses", names, "--backend", backend, method});
      EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 2) << r.err;
      return json::parse(r.out);
    };
    const json gpu = run("gpu"), cpu = run("cpu");
    ASSERT_EQ(gpu.size(), static_cast<size_t>(kResponses));
    ASSERT_EQ(cpu.size(), static_cast<size_t>(kResponses));
    for (int k = 0; k < kResponses; ++k) {
      SCOPED_TRACE(k);
      const json& g = gpu[k];
      const json& c = cpu[k];
      ASSERT_EQ(g["status"], c["status"]);
      if (c["status"] == "failed") continue;
      EXPECT_EQ(g["backend"], "gpu");
      EXPECT_EQ(g["response_hash"], c["response_hash"]);
      for (const char* key : {"loglik", "deviance"})
        EXPECT_NEAR(g[key].get<double>(), c[key].get<double>(),
                    1e-8 * std::abs(c[key].get<double>()));
      const double sigma2 = c["residual"]["variance"].get<double>();
      const double sigma = std::sqrt(sigma2);
      EXPECT_NEAR(g["residual"]["variance"].get<double>(), sigma2, 1e-8 * sigma2);
      for (size_t i = 0; i < c["theta"].size(); ++i)
        EXPECT_NEAR(g["theta"][i].get<double>(), c["theta"][i].get<double>(),
                    1e-6 * (1 + std::abs(c["theta"][i].get<double>())));
      ASSERT_EQ(g["fixed_effects"].size(), c["fixed_effects"].size());
      for (size_t i = 0; i < c["fixed_effects"].size(); ++i) {
        const double est = c["fixed_effects"][i]["estimate"].get<double>();
        const double se = c["fixed_effects"][i]["std_error"].get<double>();
        EXPECT_NEAR(g["fixed_effects"][i]["estimate"].get<double>(), est,
                    1e-8 * (std::abs(est) + sigma));
        EXPECT_NEAR(g["fixed_effects"][i]["std_error"].get<double>(), se, 1e-6 * se);
      }
      ASSERT_EQ(g["random_effects"].size(), c["random_effects"].size());
      for (size_t i = 0; i < c["random_effects"].size(); ++i) {
        const json& cv = c["random_effects"][i];
        if (!cv.contains("variance") || !cv["variance"].is_number()) continue;
        const double v = cv["variance"].get<double>();
        EXPECT_NEAR(g["random_effects"][i]["variance"].get<double>(), v,
                    1e-6 * (std::abs(v) + sigma2));
      }
    }
  }
}

}  // namespace
}  // namespace lmm

#endif  // LMM_HAVE_CUDA
