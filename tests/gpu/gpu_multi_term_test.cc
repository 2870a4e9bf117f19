// The multi-term GPU evaluator (crossed and nested terms) against its host reference and the CPU
// evaluator: each device step (level pass, rest scaling + scatter, potrf, log-determinant) against
// gpu::HostMultiTermPass on the same cross-products; objectives at several fixed theta on every
// multi-term reference model (and lme4's value); simulated crossed and nested models (edge sizes:
// empty levels, levels with one row, three terms, vector-valued rest terms, p + 1 > 32, many grid
// blocks); reproducibility; whole fits. Skipped at run time without a device; label `gpu`.
//
// Tolerances: 1e-10 relative against the CPU evaluator and 1e-8 for fitted estimates (issue 4):
// the same cross-products, summed in the same level order; only the dense Cholesky (cuSOLVER's
// blocked potrf vs the CPU's) and fused multiply-adds differ. Kernel steps before the Cholesky:
// 1e-13 relative to the entry's scale (same formulas, fma contraction only). 1e-8 against lme4
// as in tests/likelihood.
#include <gtest/gtest.h>

#if LMM_HAVE_CUDA

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "gpu/device.h"
#include "kernels_host/lme4_cases.h"
#include "kernels_host/simulated_frame.h"
#include "likelihood/cpu/cpu_evaluator.h"
#include "likelihood/evaluator.h"
#include "likelihood/fit_core.h"
#include "likelihood/frame_loader.h"
#include "likelihood/gpu/gpu_multi_evaluator.h"
#include "likelihood/gpu/multi_term_host.h"
#include "lmm/error.h"

namespace lmm {
namespace {

constexpr double kVsCpu = 1e-10;
constexpr double kVsLme4 = 1e-8;
constexpr double kStep = 1e-13;

std::unique_ptr<Evaluator> MakeGpu(const ModelFrame& frame) {
  EvaluatorOptions options;
  options.backend = Backend::kGpu;
  Status status;
  std::unique_ptr<Evaluator> ev = Evaluator::Create(frame, options, &status);
  EXPECT_TRUE(ev != nullptr) << status.ToString();
  EXPECT_TRUE(dynamic_cast<GpuMultiTermEvaluator*>(ev.get()) != nullptr);
  return ev;
}

// theta values to evaluate at: lme4's start, and a scaled, shifted copy (inside the bounds).
std::vector<std::vector<double>> Thetas(const ThetaLayout& layout) {
  std::vector<double> other = layout.start();
  for (size_t i = 0; i < other.size(); ++i)
    other[i] = layout.lower()[i] == 0 ? 0.4 + 0.3 * i : 0.2 - 0.1 * i;
  return {layout.start(), other};
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
  for (int t = 0; t < static_cast<int>(frame.random.size()); ++t) {
    const Eigen::MatrixXd modes = gpu.ConditionalModes(t), cpu_modes = cpu->ConditionalModes(t);
    ASSERT_EQ(modes.rows(), cpu_modes.rows());
    EXPECT_LE((modes - cpu_modes).norm(), kVsCpu * (cpu_modes.norm() + sigma));
  }
}

// Every device step against the host reference at theta.
void ExpectStepsMatchHost(const ModelFrame& frame, const std::vector<double>& theta) {
  const std::unique_ptr<Evaluator> ev = MakeGpu(frame);
  ASSERT_TRUE(ev != nullptr);
  auto& gpu = dynamic_cast<GpuMultiTermEvaluator&>(*ev);
  gpu::DeviceSnapshot dev;
  const Status s = gpu.Snapshot(theta, &dev);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const cpu::CrossProducts& cp = gpu.cross_products();
  const gpu::HostLevels& h = gpu.levels();
  const ThetaLayout& layout = gpu.layout();
  std::vector<double> lambda0(cp.q0 * cp.q0), lambda_r(h.lambda_r_size);
  layout.term(cp.term0).FillLambda(layout.TermTheta(theta, cp.term0), lambda0.data());
  for (size_t b = 0; b < cp.rest.size(); ++b)
    layout.term(cp.rest[b].term)
        .FillLambda(layout.TermTheta(theta, cp.rest[b].term), lambda_r.data() + h.rest_offset[b]);
  const gpu::MultiTermPass host = gpu::HostMultiTermPass(cp, h, lambda0.data(), lambda_r.data());
  ASSERT_EQ(host.first_failed, -1);
  // Step 1.
  const Eigen::Map<const Eigen::VectorXd> p_dev(dev.panels.data(), dev.panels.size()),
      p_host(host.panels.data(), host.panels.size());
  EXPECT_LE((p_dev - p_host).norm(), kStep * (p_host.norm() + 1));
  double level_logdet = 0;
  for (int64_t c = 0; c < cp.l0; ++c) {
    EXPECT_EQ(dev.level_ok[c], 1) << "level " << c;
    level_logdet += dev.level_logdet[c];
  }
  EXPECT_NEAR(level_logdet, host.level_logdet, kStep * (1 + std::abs(host.level_logdet)) * 10);
  // Step 2 (the strict upper triangle is zero on both).
  EXPECT_LE((dev.s - host.s).norm(), kStep * host.s.norm() * 10);
  // Step 3: L_S L_S' reproduces the device's S.
  ASSERT_EQ(dev.info, 0);
  const Eigen::MatrixXd l = dev.factor.triangularView<Eigen::Lower>();
  const Eigen::MatrixXd full = dev.s.selfadjointView<Eigen::Lower>();
  EXPECT_LE((l * l.transpose() - full).norm(), 1e-13 * full.norm() * std::sqrt(double(cp.m)));
  // Step 4.
  double logdet = level_logdet;
  for (int64_t i = 0; i < cp.mt; ++i) logdet += 2.0 * std::log(l(i, i));
  EXPECT_NEAR(dev.logdet, logdet, 1e-13 * (1 + std::abs(logdet)) * 10);
  EXPECT_EQ(dev.failed, -1);
}

TEST(GpuMultiTerm, EachStepMatchesTheHostReferenceOnReferenceModels) {
  LMM_SKIP_WITHOUT_DEVICE();
  std::map<std::string, bool> seen;
  for (const nlohmann::json& c : test::Lme4Fixture()["cases"]) {
    const std::string dataset = c["dataset"], formula = c["formula"];
    if (c["terms"].size() == 1 || seen[formula]) continue;
    seen[formula] = true;
    SCOPED_TRACE(formula);
    const ModelFrame frame = test::LoadFrame(LMM_SHARED_DIR, dataset, formula);
    for (const std::vector<double>& theta : Thetas(ThetaLayout(frame)))
      ExpectStepsMatchHost(frame, theta);
  }
  EXPECT_EQ(seen.size(), 5u);
}

TEST(GpuMultiTerm, MatchesCpuAndLme4OnReferenceModels) {
  LMM_SKIP_WITHOUT_DEVICE();
  const int cases = test::ForEachLme4Case(test::Lme4Terms::kSeveral, [](const test::Lme4Case& c) {
    const std::unique_ptr<Evaluator> gpu = MakeGpu(c.frame);
    ASSERT_TRUE(gpu != nullptr);
    ExpectMatchesCpu(c.frame, *gpu, c.theta, c.reml);
    EXPECT_NEAR(gpu->Objective(c.reml), c.value, kVsLme4 * std::abs(c.value));
    for (const std::vector<double>& other : Thetas(gpu->layout()))
      ExpectMatchesCpu(c.frame, *gpu, other, c.reml);
  });
  EXPECT_EQ(cases, 30);
}

TEST(GpuMultiTerm, MatchesCpuOnSimulatedModels) {
  LMM_SKIP_WITHOUT_DEVICE();
  struct Case {
    std::vector<test::CrossedShape::Term> terms;
    int64_t rows;
    int p;
    bool nest;
  };
  // As tests/kernels_host/level_math_test.cc, plus 60000 levels of block 0 (15 blocks of the
  // level pass, 3 rounds of the grid-stride loop at most) and a rest of 3000 columns (several
  // potrf panels).
  const Case cases[] = {
      {{{300, 1}, {120, 1}}, 3000, 2, false},         {{{200, 2}, {40, 2}}, 2500, 3, false},
      {{{150, 3}, {30, 1}, {12, 2}}, 2000, 2, false}, {{{2000, 1}, {50, 1}}, 600, 1, false},
      {{{400, 1}, {40, 1}}, 3000, 2, true},           {{{60, 2}}, 1500, 33, false},
      {{{60000, 1}, {3000, 1}}, 200000, 3, false}};
  uint64_t seed = 0;
  for (const Case& c : cases) {
    test::CrossedShape shape;
    shape.terms = c.terms;
    shape.rows = c.rows;
    shape.p = c.p;
    shape.nest = c.nest;
    shape.seed = ++seed;
    const ModelFrame frame = test::SimulateCrossedFrame(shape);
    const std::unique_ptr<Evaluator> gpu = MakeGpu(frame);
    ASSERT_TRUE(gpu != nullptr);
    for (const std::vector<double>& theta : Thetas(gpu->layout())) {
      ExpectStepsMatchHost(frame, theta);
      for (bool reml : {false, true}) {
        SCOPED_TRACE("case " + std::to_string(seed) + (reml ? " REML" : " ML"));
        ExpectMatchesCpu(frame, *gpu, theta, reml);
      }
    }
  }
}

TEST(GpuMultiTerm, RepeatedEvaluationsAreBitwiseEqual) {
  LMM_SKIP_WITHOUT_DEVICE();
  test::CrossedShape shape;
  shape.terms = {{5000, 1}, {800, 1}};
  shape.rows = 40000;
  const ModelFrame frame = test::SimulateCrossedFrame(shape);
  const std::unique_ptr<Evaluator> a = MakeGpu(frame), b = MakeGpu(frame);
  ASSERT_TRUE(a != nullptr && b != nullptr);
  const std::vector<std::vector<double>> thetas = Thetas(a->layout());
  ASSERT_TRUE(a->Update(thetas[0]).ok());
  const double first = a->Objective(true);
  ASSERT_TRUE(a->Update(thetas[1]).ok());
  ASSERT_TRUE(a->Update(thetas[0]).ok());
  ASSERT_TRUE(b->Update(thetas[0]).ok());
  const double again = a->Objective(true), other = b->Objective(true);
  EXPECT_EQ(std::memcmp(&first, &again, sizeof first), 0);
  EXPECT_EQ(std::memcmp(&first, &other, sizeof first), 0);
}

// Past the CPU evaluator's dense limit (m = 13,003 > 12,000): the GPU evaluator takes the model
// without a host mirror (64-bit potrf); the reference is a CPU evaluator built on cross-products
// made with the GPU's limit (the CPU code has no other bound on m; ~1.4 GB each for A and S).
// Objectives at two theta to 1e-10; conditional modes are refused with a message.
TEST(GpuMultiTerm, PastTheCpuDenseLimitMatchesACpuReference) {
  LMM_SKIP_WITHOUT_DEVICE();
  test::CrossedShape shape;
  shape.terms = {{20000, 1}, {13000, 1}};
  shape.rows = 120000;
  const ModelFrame frame = test::SimulateCrossedFrame(shape);
  const std::unique_ptr<Evaluator> gpu = MakeGpu(frame);
  ASSERT_TRUE(gpu != nullptr);
  const ThetaLayout layout(frame);
  EvaluatorOptions options;
  CpuEvaluator cpu(frame, options, cpu::BuildCrossProducts(frame, layout, cpu::kMaxGpuDenseRest));
  ASSERT_GT(cpu.cross_products().m, cpu::kMaxDenseRest);
  for (const std::vector<double>& theta : Thetas(layout)) {
    ASSERT_TRUE(cpu.Update(theta).ok());
    const Status s = gpu->Update(theta);
    ASSERT_TRUE(s.ok()) << s.ToString();
    for (bool reml : {false, true}) {
      const double expected = cpu.Objective(reml);
      EXPECT_NEAR(gpu->Objective(reml), expected, kVsCpu * std::abs(expected));
    }
  }
  EXPECT_THROW(gpu->ConditionalModes(0), Error);
}

TEST(GpuMultiTerm, NonFiniteThetaIsNotPositiveDefiniteNotADeviceError) {
  LMM_SKIP_WITHOUT_DEVICE();
  test::CrossedShape shape;
  const ModelFrame frame = test::SimulateCrossedFrame(shape);
  const std::unique_ptr<Evaluator> gpu = MakeGpu(frame);
  ASSERT_TRUE(gpu != nullptr);
  std::vector<double> theta = gpu->layout().start();
  theta[0] = std::nan("");
  Status s = gpu->Update(theta);
  EXPECT_EQ(s.code(), Status::Code::kNotPositiveDefinite) << s.ToString();
  EXPECT_EQ(s.index(), 0);
  theta = gpu->layout().start();
  theta.back() = std::nan("");  // a rest term: S is NaN, potrf's info or the finite check
  s = gpu->Update(theta);
  EXPECT_EQ(s.code(), Status::Code::kNotPositiveDefinite) << s.ToString();
  EXPECT_TRUE(gpu->Update(gpu->layout().start()).ok());
}

void ExpectSameFit(const ModelFrame& frame, bool reml) {
  FitCoreOptions options;
  options.reml = reml;
  const FitCoreResult cpu = FitCore(frame, options);
  options.backend = Backend::kGpu;
  const FitCoreResult gpu = FitCore(frame, options);
  EXPECT_NEAR(gpu.objective, cpu.objective, 1e-8 * std::abs(cpu.objective));
  EXPECT_NEAR(gpu.sigma, cpu.sigma, 1e-8 * cpu.sigma);
  ASSERT_EQ(gpu.theta.size(), cpu.theta.size());
  for (size_t i = 0; i < cpu.theta.size(); ++i)
    EXPECT_NEAR(gpu.theta[i], cpu.theta[i], 1e-6 * (1 + std::abs(cpu.theta[i])));
  for (int i = 0; i < cpu.p; ++i)
    EXPECT_NEAR(gpu.beta(i), cpu.beta(i), 1e-8 * (std::abs(cpu.beta(i)) + cpu.sigma));
  ASSERT_EQ(gpu.terms.size(), cpu.terms.size());
  for (size_t t = 0; t < cpu.terms.size(); ++t)
    EXPECT_LE((gpu.terms[t].modes - cpu.terms[t].modes).norm(),
              1e-6 * (cpu.terms[t].modes.norm() + cpu.sigma));
}

// Fitted estimates: 1e-8 relative (issue 4); theta 1e-6 (flat directions move theta more than
// the estimates), as tests/gpu/gpu_fit_test.cc.
TEST(GpuMultiTerm, FitsMatchTheCpuFit) {
  LMM_SKIP_WITHOUT_DEVICE();
  std::map<std::string, bool> seen;
  for (const nlohmann::json& c : test::Lme4Fixture()["cases"]) {
    const std::string dataset = c["dataset"], formula = c["formula"];
    if (c["terms"].size() == 1 || seen[formula]) continue;
    seen[formula] = true;
    const ModelFrame frame = test::LoadFrame(LMM_SHARED_DIR, dataset, formula);
    for (bool reml : {false, true}) {
      SCOPED_TRACE(formula + (reml ? " REML" : " ML"));
      ExpectSameFit(frame, reml);
    }
  }
}

}  // namespace
}  // namespace lmm

#else  // !LMM_HAVE_CUDA

TEST(GpuMultiTerm, NotBuilt) { GTEST_SKIP() << "built without the CUDA backend"; }

#endif  // LMM_HAVE_CUDA
