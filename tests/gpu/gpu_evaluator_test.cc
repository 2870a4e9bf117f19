// GPU evaluator against the CPU evaluator (and lme4's deviance function) at fixed theta: the
// one-term reference models and simulated models covering every kernel instantiation (q = 1, 2,
// 3 and the generic q <= 8), the widest [X y] (w = 32), edge cluster sizes and several rounds
// per thread; the same with the per-cluster cross-products formed by the device one-time pass
// (gpu_row_pass.h) from rows in random cluster order, in chunks of 1, 7 and the budget's size,
// and the automatic choice of that pass from kDeviceRowPassMinRows rows. Skipped at run time
// without a device; label `gpu`.
//
// Tolerances: 1e-10 relative against the CPU (issue 4): both evaluate the same cross-products;
// the GPU sums the per-cluster terms in another order, with fused multiply-adds, which moves the
// result by a few ulps per cluster. 1e-8 against lme4 as in tests/likelihood.
#include <gtest/gtest.h>

#if LMM_HAVE_CUDA

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "gpu/device.h"
#include "kernels_host/lme4_cases.h"
#include "kernels_host/simulated_frame.h"
#include "likelihood/evaluator.h"
#include "likelihood/frame_loader.h"
#include "likelihood/gpu/gpu_evaluator.h"
#include "likelihood/gpu/gpu_probe.h"
#include "lmm/error.h"

namespace lmm {
namespace {

constexpr double kVsCpu = 1e-10;
constexpr double kVsLme4 = 1e-8;

std::unique_ptr<Evaluator> MakeGpu(const ModelFrame& frame) {
  EvaluatorOptions options;
  options.backend = Backend::kGpu;
  Status status;
  std::unique_ptr<Evaluator> ev = Evaluator::Create(frame, options, &status);
  EXPECT_TRUE(ev != nullptr) << status.ToString();
  return ev;
}

void ExpectMatchesCpu(const ModelFrame& frame, Evaluator& gpu, const std::vector<double>& theta,
                      bool reml) {
  EvaluatorOptions options;
  options.threads = 1;
  const std::unique_ptr<Evaluator> cpu = Evaluator::Create(frame, options);
  ASSERT_TRUE(cpu->Update(theta).ok());
  const Status s = gpu.Update(theta);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const double expected = cpu->Objective(reml);
  EXPECT_NEAR(gpu.Objective(reml), expected, kVsCpu * std::abs(expected));
  EXPECT_NEAR(gpu.logdet_l(), cpu->logdet_l(), kVsCpu * (1 + std::abs(cpu->logdet_l())));
  EXPECT_NEAR(gpu.logdet_rx(), cpu->logdet_rx(), kVsCpu * (1 + std::abs(cpu->logdet_rx())));
  EXPECT_NEAR(gpu.pwrss(), cpu->pwrss(), kVsCpu * cpu->pwrss());
  const double sigma = std::sqrt(cpu->sigma2(reml));
  for (int i = 0; i < frame.p(); ++i)
    EXPECT_NEAR(gpu.beta()(i), cpu->beta()(i), kVsCpu * (std::abs(cpu->beta()(i)) + sigma));
  EXPECT_LE((gpu.rx() - cpu->rx()).norm(), kVsCpu * cpu->rx().norm());
  const Eigen::MatrixXd modes = gpu.ConditionalModes(0), cpu_modes = cpu->ConditionalModes(0);
  ASSERT_EQ(modes.rows(), cpu_modes.rows());
  EXPECT_LE((modes - cpu_modes).norm(), kVsCpu * (cpu_modes.norm() + sigma));
  const double sigma2 = sigma * sigma;
  EXPECT_LE((gpu.ConditionalVariances(0, sigma2) - cpu->ConditionalVariances(0, sigma2)).norm(),
            kVsCpu * (cpu->ConditionalVariances(0, sigma2).norm() + sigma2));
}

TEST(GpuEvaluator, MatchesCpuAndLme4OnReferenceModels) {
  LMM_SKIP_WITHOUT_DEVICE();
  const int cases = test::ForEachLme4Case(test::Lme4Terms::kOne, [](const test::Lme4Case& c) {
    const std::unique_ptr<Evaluator> gpu = MakeGpu(c.frame);
    ASSERT_TRUE(gpu != nullptr);
    ExpectMatchesCpu(c.frame, *gpu, c.theta, c.reml);
    EXPECT_NEAR(gpu->Objective(c.reml), c.value, kVsLme4 * std::abs(c.value));
  });
  EXPECT_EQ(cases, 36);
}

struct SimulatedCase {
  int64_t clusters;
  int q, p, min_rows, max_rows;

  // Three empty levels (when there are several clusters), seed 1000 * base + 100 q + p.
  test::SimulatedShape Shape(uint64_t base) const {
    test::SimulatedShape shape;
    shape.clusters = clusters;
    shape.q = q;
    shape.p = p;
    shape.min_rows = min_rows;
    shape.max_rows = max_rows;
    shape.empty_levels = clusters > 1 ? 3 : 0;
    shape.seed = 1000 * base + q * 100 + p;
    return shape;
  }
};

// ExpectMatchesCpu at lme4's start and two unstructured points (small and large theta), ML and
// REML, each traced as `what` and the point.
void ExpectMatchesCpuAtThetas(const ModelFrame& frame, Evaluator& gpu, int q,
                              const std::string& what) {
  for (const std::vector<double>& theta :
       {gpu.layout().start(), test::UnstructuredTheta(q, 0.3), test::UnstructuredTheta(q, 3.0)})
    for (bool reml : {false, true}) {
      SCOPED_TRACE(what + (reml ? " REML" : " ML") + " theta[0] " + std::to_string(theta[0]));
      ExpectMatchesCpu(frame, gpu, theta, reml);
    }
}

std::string Describe(const SimulatedCase& c) {
  return "clusters " + std::to_string(c.clusters) + " q " + std::to_string(c.q) + " p " +
         std::to_string(c.p);
}

TEST(GpuEvaluator, MatchesCpuOnSimulatedModels) {
  LMM_SKIP_WITHOUT_DEVICE();
  using Case = SimulatedCase;
  // Every kernel instantiation; clusters with one row and with fewer rows than q; empty levels;
  // w = 32; 300000 clusters take two rounds per thread (128 x 2048 threads).
  const Case cases[] = {{1, 1, 1, 3, 3},      {500, 1, 2, 1, 4},   {500, 2, 4, 1, 5},
                        {500, 3, 3, 1, 2},    {500, 4, 2, 1, 6},   {333, 8, 3, 1, 12},
                        {200, 2, 31, 20, 40}, {300000, 2, 4, 1, 6}};
  for (const Case& c : cases) {
    const ModelFrame frame = test::SimulateOneTermFrame(c.Shape(1));
    const std::unique_ptr<Evaluator> gpu = MakeGpu(frame);
    ASSERT_TRUE(gpu != nullptr);
    ExpectMatchesCpuAtThetas(frame, *gpu, c.q, Describe(c));
  }
}

std::unique_ptr<GpuEvaluator> MakeGpuWithDevicePass(const ModelFrame& frame, int64_t chunk_rows) {
  gpu::RowPassOptions row_pass;
  row_pass.where = gpu::RowPassWhere::kDevice;
  row_pass.chunk_rows = chunk_rows;
  Status status;
  std::unique_ptr<GpuEvaluator> ev = GpuEvaluator::CreateOneTerm(frame, row_pass, &status);
  EXPECT_TRUE(ev != nullptr) << status.ToString();
  if (ev != nullptr) {
    EXPECT_TRUE(ev->row_pass().on_device);
  }
  return ev;
}

TEST(GpuEvaluator, DevicePassMatchesCpuAndLme4OnReferenceModels) {
  LMM_SKIP_WITHOUT_DEVICE();
  const int cases = test::ForEachLme4Case(test::Lme4Terms::kOne, [](const test::Lme4Case& c) {
    const std::unique_ptr<GpuEvaluator> gpu = MakeGpuWithDevicePass(c.frame, 7);
    ASSERT_TRUE(gpu != nullptr);
    ExpectMatchesCpu(c.frame, *gpu, c.theta, c.reml);
    EXPECT_NEAR(gpu->Objective(c.reml), c.value, kVsLme4 * std::abs(c.value));
  });
  EXPECT_EQ(cases, 36);
}

TEST(GpuEvaluator, DevicePassMatchesCpuOnShuffledSimulatedModels) {
  LMM_SKIP_WITHOUT_DEVICE();
  using Case = SimulatedCase;
  // The last: runs of kLongRun rows or more in a chunk (the kernels' warp path).
  const Case cases[] = {{1, 1, 1, 3, 3},     {500, 1, 2, 1, 4},  {500, 2, 4, 1, 5},
                        {500, 3, 3, 1, 2},   {333, 8, 3, 1, 12}, {200, 2, 31, 20, 40},
                        {10, 2, 3, 300, 800}};
  for (const Case& c : cases) {
    const test::SimulatedShape shape = c.Shape(2);
    const ModelFrame frame = test::ShuffleRows(test::SimulateOneTermFrame(shape), shape.seed);
    for (const int64_t chunk : {int64_t{1}, int64_t{7}, int64_t{0}}) {
      if (chunk == 1 && frame.n() > 2000) continue;  // one chunk per row: keep it short
      const std::unique_ptr<GpuEvaluator> gpu = MakeGpuWithDevicePass(frame, chunk);
      ASSERT_TRUE(gpu != nullptr);
      ExpectMatchesCpuAtThetas(frame, *gpu, c.q, Describe(c) + " chunk " + std::to_string(chunk));
    }
  }
}

TEST(GpuEvaluator, LargeFramesUseTheDevicePass) {
  LMM_SKIP_WITHOUT_DEVICE();
  test::SimulatedShape shape;
  shape.clusters = 300000;
  shape.q = 2;
  shape.p = 3;
  shape.min_rows = 3;
  shape.max_rows = 5;
  const ModelFrame frame = test::ShuffleRows(test::SimulateOneTermFrame(shape), 5);
  ASSERT_GE(frame.n(), gpu::kDeviceRowPassMinRows);
  const std::unique_ptr<Evaluator> ev = MakeGpu(frame);
  ASSERT_TRUE(ev != nullptr);
  const gpu::RowPassStats& stats = static_cast<const GpuEvaluator&>(*ev).row_pass();
  EXPECT_TRUE(stats.on_device);
  EXPECT_EQ(stats.rows, frame.n());
  EXPECT_GT(stats.resident_bytes, 0);
  EXPECT_GT(stats.pinned_host_bytes, 0);
  ExpectMatchesCpu(frame, *ev, test::UnstructuredTheta(2, 0.7), true);
}

TEST(GpuEvaluator, RepeatedEvaluationsAreBitwiseEqual) {
  LMM_SKIP_WITHOUT_DEVICE();
  test::SimulatedShape shape;
  shape.clusters = 100000;
  shape.q = 2;
  shape.p = 4;
  const ModelFrame frame = test::SimulateOneTermFrame(shape);
  const std::unique_ptr<Evaluator> a = MakeGpu(frame), b = MakeGpu(frame);
  ASSERT_TRUE(a != nullptr && b != nullptr);
  const std::vector<double> theta = test::UnstructuredTheta(2, 0.8);
  ASSERT_TRUE(a->Update(theta).ok());
  const double first = a->Objective(true);
  ASSERT_TRUE(a->Update(test::UnstructuredTheta(2, 1.5)).ok());
  ASSERT_TRUE(a->Update(theta).ok());
  ASSERT_TRUE(b->Update(theta).ok());
  const double again = a->Objective(true), other = b->Objective(true);
  EXPECT_EQ(std::memcmp(&first, &again, sizeof first), 0);
  EXPECT_EQ(std::memcmp(&first, &other, sizeof first), 0);
}

TEST(GpuEvaluator, NonFiniteThetaIsAStatusNotACrash) {
  LMM_SKIP_WITHOUT_DEVICE();
  test::SimulatedShape shape;
  const ModelFrame frame = test::SimulateOneTermFrame(shape);
  const std::unique_ptr<Evaluator> gpu = MakeGpu(frame);
  ASSERT_TRUE(gpu != nullptr);
  const std::vector<double> theta(gpu->layout().size(), std::nan(""));
  const Status s = gpu->Update(theta);
  EXPECT_EQ(s.code(), Status::Code::kNotPositiveDefinite);
  EXPECT_EQ(s.index(), 0);
  EXPECT_TRUE(gpu->Update(gpu->layout().start()).ok());
}

// These two need no device: the model check comes first, and the probe names the reason.
TEST(GpuEvaluator, RefusesAFirstTermWiderThanTheKernels) {
  test::SimulatedShape shape;
  shape.q = kernels::kMaxClusterQ + 1;
  const ModelFrame frame = test::SimulateOneTermFrame(shape);
  EvaluatorOptions options;
  options.backend = Backend::kGpu;
  Status status;
  EXPECT_EQ(Evaluator::Create(frame, options, &status), nullptr);
  EXPECT_EQ(status.code(), Status::Code::kUnsupported);
  EXPECT_THROW(Evaluator::Create(frame, options), Error);
}

TEST(GpuProbe, NamesWhyTheGpuCannotBeUsed) {
  test::SimulatedShape shape;
  const ModelFrame frame = test::SimulateOneTermFrame(shape);
  const GpuProbe probe = ProbeGpuBackend(frame);
  const std::string no_device = test::NoDeviceReason();
  if (!no_device.empty()) {
    EXPECT_FALSE(probe.usable);
    EXPECT_NE(probe.reason.find(no_device), std::string::npos) << probe.reason;
    return;
  }
  EXPECT_TRUE(probe.usable) << probe.reason;
  EXPECT_GT(probe.bytes_needed, 0);
  ModelFrame two = frame;
  two.random.push_back(two.random[0]);
  two.random[1].group = "g.1";
  const GpuProbe multi = ProbeGpuBackend(two);
  EXPECT_TRUE(multi.usable) << multi.reason;
  EXPECT_GT(multi.bytes_needed, 0);
  shape.q = kernels::kMaxClusterQ + 1;
  const GpuProbe refused = ProbeGpuBackend(test::SimulateOneTermFrame(shape));
  EXPECT_FALSE(refused.usable);
  EXPECT_NE(refused.reason.find("9 columns"), std::string::npos) << refused.reason;
}

}  // namespace
}  // namespace lmm

#else  // !LMM_HAVE_CUDA

TEST(GpuEvaluator, NotBuilt) { GTEST_SKIP() << "built without the CUDA backend"; }

#endif  // LMM_HAVE_CUDA
