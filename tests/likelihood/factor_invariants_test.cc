// Invariants of the CPU blocked Cholesky that need no reference values:
//  - L L' reproduces the scaled augmented matrix, formed densely here from Z, X and y, at random
//    theta (relative error bound: a few units of m * eps * cond-free backward error of Cholesky,
//    [Higham 2002, thm. 10.3]; 1e-12 for these m <= 200);
//  - conditional modes and variances equal the dense formulas (Bates et al. 2015, eqs. 20, 52);
//  - results are bitwise identical for any number of threads (fixed-partition reductions).
#include <gtest/gtest.h>

#include <random>

#include "likelihood/cpu/cpu_evaluator.h"
#include "likelihood/frame_loader.h"
#include "lmm/error.h"

namespace lmm {
namespace {

struct Dense {
  Eigen::MatrixXd zl;  // Z Lambda, columns in the evaluator's block order
  Eigen::MatrixXd lambda;
  std::vector<int64_t> offset;  // per ModelFrame term: first column
};

Dense DenseZLambda(const ModelFrame& f, const ThetaLayout& layout,
                   const std::vector<double>& theta) {
  Dense d;
  int64_t cols = 0;
  d.offset.assign(f.random.size(), 0);
  for (int t : layout.order()) {
    d.offset[t] = cols;
    cols += f.random[t].levels * f.random[t].q();
  }
  Eigen::MatrixXd z = Eigen::MatrixXd::Zero(f.n(), cols);
  d.lambda = Eigen::MatrixXd::Zero(cols, cols);
  for (size_t t = 0; t < f.random.size(); ++t) {
    const RandomEffectTerm& term = f.random[t];
    const int q = term.q();
    const Eigen::MatrixXd lam = layout.term(t).Lambda(layout.TermTheta(theta, t));
    for (int64_t i = 0; i < f.n(); ++i)
      for (int k = 0; k < q; ++k) z(i, d.offset[t] + term.level[i] * q + k) = term.z(i, k);
    for (int64_t l = 0; l < term.levels; ++l)
      d.lambda.block(d.offset[t] + l * q, d.offset[t] + l * q, q, q) = lam;
  }
  d.zl = z * d.lambda;
  return d;
}

std::vector<double> RandomTheta(const ThetaLayout& layout, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> theta(layout.size());
  for (int i = 0; i < layout.size(); ++i) {
    if (std::isfinite(layout.upper()[i]))  // a correlation
      theta[i] =
          std::max(layout.lower()[i], -0.9) +
          0.8 * u(rng) * (std::min(layout.upper()[i], 0.9) - std::max(layout.lower()[i], -0.9));
    else if (std::isfinite(layout.lower()[i]))
      theta[i] = 0.1 + 2 * u(rng);
    else
      theta[i] = 2 * u(rng) - 1;
  }
  return theta;
}

struct Case {
  const char* dataset;
  const char* formula;
  CovStructure structure;
  bool homogeneous;
};

class FactorInvariantsTest : public ::testing::TestWithParam<Case> {};

TEST_P(FactorInvariantsTest, FactorReproducesMatrixAndConditionalsMatchDenseFormulas) {
  const Case c = GetParam();
  ModelFrame f = test::LoadFrame(LMM_SHARED_DIR, c.dataset, c.formula);
  for (RandomEffectTerm& t : f.random) {
    t.structure = c.structure;
    t.homogeneous = c.homogeneous;
  }
  CpuEvaluator ev(f, EvaluatorOptions{Backend::kCpu, 2});
  std::mt19937_64 rng(7);
  for (int rep = 0; rep < 3; ++rep) {
    const std::vector<double> theta = RandomTheta(ev.layout(), rng);
    ASSERT_TRUE(ev.Update(theta).ok());
    const Dense d = DenseZLambda(f, ev.layout(), theta);
    const cpu::CenteringInfo& cen = ev.cross_products().centering;
    Eigen::MatrixXd xc = f.x;
    Eigen::VectorXd yc = f.y;
    if (cen.centered) {
      for (int j = 1; j < f.p(); ++j) xc.col(j).array() -= cen.x_shift(j);
      yc.array() -= cen.y_shift;
    }
    Eigen::MatrixXd w(f.n(), d.zl.cols() + f.p() + 1);
    w << d.zl, xc, yc;
    Eigen::MatrixXd m = w.transpose() * w;
    m.topLeftCorner(d.zl.cols(), d.zl.cols()).diagonal().array() += 1.0;
    const Eigen::MatrixXd l = ev.AssembleFactor();
    EXPECT_LT((l * l.transpose() - m).norm() / m.norm(), 1e-12);

    // Modes: (Lambda'Z'Z Lambda + I) u = Lambda'Z'(y - X beta), b = Lambda u.
    const Eigen::MatrixXd a = m.topLeftCorner(d.zl.cols(), d.zl.cols());
    const Eigen::LLT<Eigen::MatrixXd> llt(a);
    const Eigen::VectorXd u = llt.solve(d.zl.transpose() * (f.y - f.x * ev.beta()));
    const Eigen::VectorXd b = d.lambda * u;
    const double sigma2 = ev.sigma2(true);
    const Eigen::MatrixXd cov = sigma2 * d.lambda *
                                llt.solve(Eigen::MatrixXd::Identity(a.rows(), a.cols())) *
                                d.lambda.transpose();
    for (size_t t = 0; t < f.random.size(); ++t) {
      const int q = f.random[t].q();
      const Eigen::MatrixXd modes = ev.ConditionalModes(static_cast<int>(t));
      const Eigen::MatrixXd vars = ev.ConditionalVariances(static_cast<int>(t), sigma2);
      ASSERT_EQ(modes.rows(), f.random[t].levels);
      for (int64_t lev = 0; lev < f.random[t].levels; ++lev)
        for (int k = 0; k < q; ++k) {
          const int64_t col = d.offset[t] + lev * q + k;
          EXPECT_NEAR(modes(lev, k), b(col), 1e-9 * (1 + b.cwiseAbs().maxCoeff()));
          for (int k2 = 0; k2 < q; ++k2)
            EXPECT_NEAR(vars(lev, k + k2 * q), cov(col, d.offset[t] + lev * q + k2),
                        1e-9 * cov.diagonal().maxCoeff());
        }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Models, FactorInvariantsTest,
    ::testing::Values(
        Case{"sleepstudy", "Reaction ~ Days + (Days | Subject)", CovStructure::kUnstructured,
             false},
        Case{"sleepstudy", "Reaction ~ Days + (Days | Subject)", CovStructure::kCompoundSymmetry,
             false},
        Case{"sleepstudy", "Reaction ~ Days + (Days | Subject)", CovStructure::kDiagonal, true},
        Case{"sleepstudy", "Reaction ~ Days + (Days || Subject)", CovStructure::kUnstructured,
             false},
        Case{"orthodont", "distance ~ age * Sex + (age | Subject)", CovStructure::kCompoundSymmetry,
             true},
        Case{"sleepstudy", "Reaction ~ Days + (1 | Subject) + (Days | Subject)",
             CovStructure::kUnstructured, false},
        Case{"sleepstudy", "Reaction ~ Days + (1 | Subject) + (Days | Subject)",
             CovStructure::kCompoundSymmetry, false},
        Case{"penicillin", "diameter ~ 1 + (1 | plate) + (1 | sample)", CovStructure::kUnstructured,
             false},
        Case{"pastes", "strength ~ 1 + (1 | batch/cask)", CovStructure::kUnstructured, false},
        Case{"machines", "score ~ Machine + (1 | Worker) + (1 | Worker:Machine)",
             CovStructure::kUnstructured, false}));

TEST(ThreadIndependenceTest, BitwiseIdenticalForAnyThreadCount) {
  const ModelFrame f = test::LoadFrame(LMM_SHARED_DIR, "insteval",
                                       "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)");
  const std::vector<double> theta = {0.31, 0.42, 0.11};
  double objective = 0, logdet = 0;
  Eigen::VectorXd beta;
  for (int threads : {1, 2, 3, 5}) {
    CpuEvaluator ev(f, EvaluatorOptions{Backend::kCpu, threads});
    ASSERT_EQ(ev.threads(), threads);
    ASSERT_TRUE(ev.Update(theta).ok());
    if (threads == 1) {
      objective = ev.Objective(false);
      logdet = ev.logdet_l();
      beta = ev.beta();
      continue;
    }
    EXPECT_EQ(ev.Objective(false), objective) << threads;
    EXPECT_EQ(ev.logdet_l(), logdet) << threads;
    EXPECT_EQ(ev.beta(), beta) << threads;
  }
}

TEST(EvaluatorFactoryTest, GpuBackendIsReportedUnavailable) {
  const ModelFrame f = test::LoadFrame(LMM_SHARED_DIR, "dyestuff", "Yield ~ 1 + (1 | Batch)");
  Status status;
  EXPECT_EQ(Evaluator::Create(f, EvaluatorOptions{Backend::kGpu, 1}, &status), nullptr);
  EXPECT_EQ(status.code(), Status::Code::kUnsupported);
  EXPECT_THROW(Evaluator::Create(f, EvaluatorOptions{Backend::kGpu, 1}), Error);
}

}  // namespace
}  // namespace lmm
