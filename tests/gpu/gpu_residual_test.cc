// GpuResidualEvaluator (whitening and cross-products on the device, then the one-term cluster
// pass) against the CPU ResidualEvaluator. Tolerances: objectives 1e-10 relative (the GPU tests'
// standard; the two paths whiten with the same L^{-1} and differ only in summation order, see
// tests/kernels_host/whiten_math_test.cc), the device's whitened cross-products 1e-12 of their
// Cauchy-Schwarz scale against the host pass of the same functions (FMA contraction and order
// only), whole fits 1e-8 relative on the estimates (tests/gpu/gpu_fit_test.cc's argument: the
// optimizer sees objectives ~1e-13 apart). Skipped at run time without a device; label `gpu`.
#include <gtest/gtest.h>

#if LMM_HAVE_CUDA

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gpu/device.h"
#include "kernels_host/residual_case.h"
#include "likelihood/gpu/gpu_residual_evaluator.h"
#include "likelihood/gpu/residual_pack.h"
#include "likelihood/residual/residual_evaluator.h"
#include "likelihood/residual/residual_fit.h"
#include "lmm/fit.h"

namespace lmm {
namespace {

using kernels::PackedIndex;

std::vector<std::unique_ptr<test::ResidualCase>> Cases() {
  std::vector<std::unique_ptr<test::ResidualCase>> cases = test::ReferenceResidualCases();
  test::SimulatedShape shape;
  shape.clusters = 3000;
  shape.q = 2;
  shape.p = 4;
  shape.min_rows = 1;
  shape.max_rows = 12;
  shape.empty_levels = 3;
  shape.seed = 11;
  cases.push_back(test::SimulatedResidualCase(shape, "ar(1, time = t)"));
  return cases;
}

// ovary_ar2_reml's optimum (nlme) as (theta, u): theta = sd(Mare) / sigma; u = atanh of the
// partial autocorrelations (phi2 and phi1 / (1 - phi2) for an AR(2)).
std::pair<std::vector<double>, std::vector<double>> OvaryReferencePoint() {
  std::ifstream in(std::string(LMM_SHARED_DIR) + "/reference/ovary_ar2_reml.json");
  const nlohmann::json ref = nlohmann::json::parse(in);
  const double var_mare = ref["varcomp"][0]["vcov"].get<double>();
  const double var_e = ref["varcomp"][1]["vcov"].get<double>();
  const double phi1 = ref["residual_params"][0].get<double>();
  const double phi2 = ref["residual_params"][1].get<double>();
  return {{std::sqrt(var_mare / var_e)}, {std::atanh(phi1 / (1 - phi2)), std::atanh(phi2)}};
}

void ExpectSameObjective(test::ResidualCase& c, const std::vector<double>& theta,
                         const std::vector<double>& u, GpuResidualEvaluator& gpu,
                         ResidualEvaluator& cpu) {
  ASSERT_TRUE(cpu.SetResidualParameters(u).ok());
  ASSERT_TRUE(gpu.SetResidualParameters(u).ok());
  EXPECT_EQ(gpu.logdet_r(), cpu.logdet_r());
  ASSERT_TRUE(cpu.Update(theta).ok());
  ASSERT_TRUE(gpu.Update(theta).ok());
  for (bool reml : {false, true})
    EXPECT_NEAR(gpu.Objective(reml), cpu.Objective(reml), 1e-10 * std::abs(cpu.Objective(reml)));
  const double sigma = std::sqrt(cpu.sigma2(true));
  for (int j = 0; j < cpu.p(); ++j)
    EXPECT_NEAR(gpu.beta()(j), cpu.beta()(j), 1e-9 * (std::abs(cpu.beta()(j)) + sigma));
  const Eigen::MatrixXd modes = gpu.ConditionalModes(0), ref = cpu.ConditionalModes(0);
  ASSERT_EQ(modes.rows(), ref.rows());
  EXPECT_LE((modes - ref).norm(), 1e-9 * (ref.norm() + sigma));

  // The device's whitened arrays against the host pass of the same functions.
  c.structure->Prepare(u);
  const gpu::ResidualPatterns patterns = gpu::FindPatterns(c.clusters, *c.structure);
  const gpu::HostResidualRows rows = gpu::PackResidualRows(c.frame, c.clusters, patterns);
  gpu::PatternFactors factors;
  ASSERT_TRUE(gpu::FactorPatterns(*c.structure, patterns, rows, &factors).ok());
  const std::vector<double> shift = gpu::ShiftOf(gpu.centering());
  const kernels::WhitenView view = rows.view(factors.inverses.data(), shift.data());
  const gpu::WhitenedClusters host = gpu::HostWhitenPass(view);
  const gpu::HostClusters& dev = gpu.clusters();
  const int q = dev.q, w = dev.w;
  // Per cluster, the scale of each entry: sqrt of the two diagonal entries it lies between
  // (Cauchy-Schwarz), from the host's own D_c and A_c.
  double d[kernels::kMaxClusterQ * (kernels::kMaxClusterQ + 1) / 2];
  double panel[kernels::kMaxClusterW * kernels::kMaxClusterQ];
  double a[kernels::kMaxClusterW * (kernels::kMaxClusterW + 1) / 2];
  for (int64_t k = 0; k < dev.clusters; ++k) {
    kernels::WhitenCluster(view, k, d, panel, a);
    for (int i = 0; i < q; ++i)
      for (int j = 0; j <= i; ++j)
        EXPECT_NEAR(dev.d[PackedIndex(i, j) * dev.clusters + k], d[PackedIndex(i, j)],
                    1e-12 * std::sqrt(d[PackedIndex(i, i)] * d[PackedIndex(j, j)]) + 1e-300);
    for (int b = 0; b < q; ++b)
      for (int r = 0; r < w; ++r)
        EXPECT_NEAR(dev.panel[(r + b * w) * dev.clusters + k], panel[r + b * w],
                    1e-12 * std::sqrt(a[PackedIndex(r, r)] * d[PackedIndex(b, b)]) + 1e-300);
  }
  for (int i = 0; i < w; ++i)
    for (int j = 0; j <= i; ++j)
      EXPECT_NEAR(gpu.whitened_a()[PackedIndex(i, j)], host.a[PackedIndex(i, j)],
                  1e-12 * std::sqrt(host.a[PackedIndex(i, i)] * host.a[PackedIndex(j, j)]));
}

TEST(GpuResidual, ObjectiveMatchesTheCpuAtSeveralPoints) {
  LMM_SKIP_WITHOUT_DEVICE();
  for (const auto& c : Cases()) {
    Status status;
    std::unique_ptr<GpuResidualEvaluator> gpu =
        GpuResidualEvaluator::Create(c->frame, c->clusters, *c->structure, &status);
    ASSERT_NE(gpu, nullptr) << status.ToString();
    ResidualEvaluator cpu(c->frame, c->clusters, *c->structure, EvaluatorOptions{});
    const int q = c->frame.random[0].q();
    for (double scale : {0.0, 0.6, -0.35})
      for (double th : {0.3, 1.0, 2.5}) {
        SCOPED_TRACE(c->name + ", u scale " + std::to_string(scale) + ", theta " +
                     std::to_string(th));
        ExpectSameObjective(*c, test::UnstructuredTheta(q, th), test::SomeU(*c->structure, scale),
                            *gpu, cpu);
      }
  }
}

TEST(GpuResidual, OvaryReferenceOptimumMatchesTheCpu) {
  LMM_SKIP_WITHOUT_DEVICE();
  auto c = Cases();
  test::ResidualCase& ovary = *c[0];
  Status status;
  auto gpu = GpuResidualEvaluator::Create(ovary.frame, ovary.clusters, *ovary.structure, &status);
  ASSERT_NE(gpu, nullptr) << status.ToString();
  ResidualEvaluator cpu(ovary.frame, ovary.clusters, *ovary.structure, EvaluatorOptions{});
  const auto [theta, u] = OvaryReferencePoint();
  ExpectSameObjective(ovary, theta, u, *gpu, cpu);
  // nlme's REML log-likelihood at its own optimum (1e-3, as the CPU tests).
  EXPECT_NEAR(-0.5 * gpu->Objective(true), -772.598553692, 1e-3);
}

void ExpectSameFit(test::ResidualCase& c, bool reml) {
  FitCoreOptions options;
  options.reml = reml;
  const ResidualFitCoreResult cpu = FitResidualCore(c.frame, c.clusters, *c.structure, options);
  options.backend = Backend::kGpu;
  const ResidualFitCoreResult gpu = FitResidualCore(c.frame, c.clusters, *c.structure, options);
  EXPECT_EQ(gpu.backend, Backend::kGpu);
  EXPECT_NEAR(gpu.core.objective, cpu.core.objective, 1e-8 * std::abs(cpu.core.objective));
  EXPECT_NEAR(gpu.core.sigma, cpu.core.sigma, 1e-8 * cpu.core.sigma);
  for (int j = 0; j < cpu.core.p; ++j)
    EXPECT_NEAR(gpu.core.beta(j), cpu.core.beta(j),
                1e-8 * (std::abs(cpu.core.beta(j)) + cpu.core.sigma));
  for (size_t i = 0; i < cpu.core.theta.size(); ++i)
    EXPECT_NEAR(gpu.core.theta[i], cpu.core.theta[i], 1e-6 * (1 + std::abs(cpu.core.theta[i])));
  for (size_t i = 0; i < cpu.u.size(); ++i)
    EXPECT_NEAR(gpu.u[i], cpu.u[i], 1e-6 * (1 + std::abs(cpu.u[i])));
  EXPECT_LE((gpu.core.terms[0].modes - cpu.core.terms[0].modes).norm(),
            1e-6 * (cpu.core.terms[0].modes.norm() + cpu.core.sigma));
}

TEST(GpuResidual, WholeFitsMatchTheCpuFit) {
  LMM_SKIP_WITHOUT_DEVICE();
  auto c = Cases();
  for (bool reml : {true, false}) {
    SCOPED_TRACE(reml ? "REML" : "ML");
    ExpectSameFit(*c[0], reml);
    ExpectSameFit(*c[2], reml);
  }
}

TEST(GpuResidual, FitReportsTheGpuBackend) {
  LMM_SKIP_WITHOUT_DEVICE();
  auto c = Cases();
  FitOptions options;
  options.residuals = "ar(2, time = time)";
  options.residual_columns = c[0]->columns;
  options.backend = BackendChoice::kGpu;
  const FitResult fit = Fit(c[0]->frame, options);
  EXPECT_EQ(fit.backend, "gpu");
  EXPECT_NEAR(fit.loglik, -772.598553692, 1e-3);
}

// Refused before any device is touched: runs without a device too.
TEST(GpuResidual, ClustersThatAreNotTheTermsLevelsAreRefused) {
  auto c = test::LoadResidualCase("pastes.csv", "strength ~ 1 + (1 | batch) + (1 | batch:cask)",
                                  "independent", {});
  Status status;
  EXPECT_EQ(GpuResidualEvaluator::Create(c->frame, c->clusters, *c->structure, &status), nullptr);
  EXPECT_EQ(status.code(), Status::Code::kUnsupported);
}

}  // namespace
}  // namespace lmm

#endif  // LMM_HAVE_CUDA
