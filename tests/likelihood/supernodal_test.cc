// The supernodal Cholesky of the rest block against dense factorizations: random sparse SPD
// matrices (every entry of L compared), and the evaluator's objective, estimates and modes with
// the dense and the supernodal factorization of S on crossed models.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <random>

#include "likelihood/cpu/cpu_evaluator.h"
#include "likelihood/cpu/supernodal_cholesky.h"
#include "likelihood/frame_loader.h"

namespace lmm {
namespace {

// Random SPD matrix with `density` of its off-diagonal entries nonzero among the first n - tail
// rows and dense tail rows; returns it and its lower pattern.
Eigen::MatrixXd RandomSparseSpd(int64_t n, int64_t tail, double density, uint32_t seed,
                                cpu::LowerPattern& pattern) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(-1, 1), coin(0, 1);
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n, n);
  pattern.assign(n, {});
  for (int64_t j = 0; j < n; ++j)
    for (int64_t i = j + 1; i < n; ++i)
      if (i >= n - tail || coin(gen) < density) {
        a(i, j) = a(j, i) = u(gen);
        pattern[j].push_back(static_cast<int32_t>(i));
      }
  // Diagonal dominance: positive definite.
  for (int64_t i = 0; i < n; ++i) a(i, i) = a.row(i).cwiseAbs().sum() + 1.0 + coin(gen);
  return a;
}

struct SparseCase {
  int64_t n, tail;
  double density;
};

class SupernodalRandomTest : public ::testing::TestWithParam<SparseCase> {};

TEST_P(SupernodalRandomTest, EveryEntryOfLMatchesTheDenseFactorOfThePermutedMatrix) {
  const SparseCase c = GetParam();
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    cpu::LowerPattern pattern;
    const Eigen::MatrixXd a = RandomSparseSpd(c.n, c.tail, c.density, seed, pattern);
    cpu::SupernodalPlan plan;
    ASSERT_TRUE(cpu::PlanSupernodal(pattern, c.tail, c.n * c.n, plan));
    ASSERT_EQ(plan.n, c.n);
    for (int64_t k = c.n - c.tail; k < c.n; ++k) EXPECT_EQ(plan.perm[k], k);  // tail kept last
    Eigen::MatrixXd pa(c.n, c.n);
    for (int64_t i = 0; i < c.n; ++i)
      for (int64_t j = 0; j < c.n; ++j) pa(i, j) = a(plan.perm[i], plan.perm[j]);
    const Eigen::MatrixXd l = pa.llt().matrixL();
    cpu::SupernodalCholesky chol(plan);
    cpu::ThreadPool pool(2);
    ASSERT_EQ(chol.Factor(a, pool), -1);
    // Entries agree to rounding: |L| <= sqrt(max diag) and the factorizations differ only in
    // the order of the sums, so 1e-12 relative to the largest entry is ample.
    const double scale = l.cwiseAbs().maxCoeff();
    for (int64_t j = 0; j < c.n; ++j)
      for (int64_t i = j; i < c.n; ++i)
        ASSERT_NEAR(chol.Entry(i, j), l(i, j), 1e-12 * scale) << i << "," << j << " seed " << seed;
    EXPECT_NEAR(chol.LogDiagonal(0, c.n), l.diagonal().array().log().sum(), 1e-10);
    EXPECT_LE(plan.flops, static_cast<double>(c.n) * c.n * c.n / 3 + c.n * c.n);
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, SupernodalRandomTest,
                         ::testing::Values(SparseCase{1, 0, 0.0}, SparseCase{5, 1, 0.5},
                                           SparseCase{40, 3, 0.05}, SparseCase{200, 4, 0.01},
                                           SparseCase{300, 2, 0.2}, SparseCase{120, 0, 0.0},
                                           SparseCase{400, 3, 0.003}));

TEST(SupernodalRandomTest, NonPositiveDefinitePivotIsReportedInOriginalIndices) {
  cpu::LowerPattern pattern;
  Eigen::MatrixXd a = RandomSparseSpd(60, 2, 0.1, 7, pattern);
  a(17, 17) = -1.0;
  cpu::SupernodalPlan plan;
  ASSERT_TRUE(cpu::PlanSupernodal(pattern, 2, 3600, plan));
  cpu::SupernodalCholesky chol(plan);
  cpu::ThreadPool pool(1);
  const int64_t failed = chol.Factor(a, pool);
  ASSERT_GE(failed, 0);
  // The failing pivot is 17 itself or one eliminated after it whose Schur complement broke.
  EXPECT_LT(failed, 60);
}

struct ModelCase {
  const char* data;
  const char* formula;
  std::vector<double> theta;
};

class SupernodalEvaluatorTest : public ::testing::TestWithParam<ModelCase> {};

// The two factorizations of S differ only in rounding: objective, beta, R_X and the modes agree
// to 1e-10 relative (the objective is a sum of O(m) logs; 1e-10 leaves 1e3 ulps of slack).
TEST_P(SupernodalEvaluatorTest, DenseAndSupernodalFactorizationsAgree) {
  const ModelCase c = GetParam();
  const ModelFrame f = test::LoadFrame(LMM_SHARED_DIR, c.data, c.formula);
  EvaluatorOptions dense_opt{Backend::kCpu, 2, RestFactorization::kDense};
  EvaluatorOptions sparse_opt{Backend::kCpu, 2, RestFactorization::kSupernodal};
  CpuEvaluator dense(f, dense_opt), sparse(f, sparse_opt);
  ASSERT_FALSE(dense.supernodal());
  ASSERT_TRUE(sparse.supernodal());
  for (double scale : {0.5, 1.0, 2.0}) {
    std::vector<double> theta = c.theta;
    for (double& t : theta) t *= scale;
    ASSERT_TRUE(dense.Update(theta).ok());
    ASSERT_TRUE(sparse.Update(theta).ok());
    for (bool reml : {false, true})
      EXPECT_NEAR(sparse.Objective(reml), dense.Objective(reml),
                  1e-10 * std::abs(dense.Objective(reml)));
    EXPECT_TRUE(sparse.beta().isApprox(dense.beta(), 1e-10));
    EXPECT_TRUE(sparse.rx().isApprox(dense.rx(), 1e-10));
    for (int t = 0; t < static_cast<int>(f.random.size()); ++t) {
      const Eigen::MatrixXd md = dense.ConditionalModes(t), ms = sparse.ConditionalModes(t);
      EXPECT_LE((md - ms).cwiseAbs().maxCoeff(), 1e-9 * (1.0 + md.cwiseAbs().maxCoeff())) << t;
      const Eigen::MatrixXd vd = dense.ConditionalVariances(t, 1.0);
      const Eigen::MatrixXd vs = sparse.ConditionalVariances(t, 1.0);
      EXPECT_LE((vd - vs).cwiseAbs().maxCoeff(), 1e-9 * (1.0 + vd.cwiseAbs().maxCoeff())) << t;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Crossed, SupernodalEvaluatorTest,
    ::testing::Values(
        ModelCase{"insteval", "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)",
                  {0.28, 0.44, 0.09}},
        // A rest term with two columns: Lambda_r is block diagonal, S's pieces are scaled densely.
        ModelCase{"insteval", "y ~ service + (1 | s) + (1 + service | dept)",
                  {0.28, 0.44, 0.05, 0.2}},
        ModelCase{"penicillin", "diameter ~ 1 + (1 | plate) + (1 | sample)", {1.5, 3.2}},
        ModelCase{"pastes", "strength ~ 1 + (1 | batch/cask)", {2.9, 1.0}},
        ModelCase{"sleepstudy", "Reaction ~ Days + (1 | Subject) + (Days | Subject)",
                  {0.9, 0.5, 0.1, 0.2}},
        ModelCase{"machines", "score ~ Machine + (1 | Worker) + (1 | Worker:Machine)",
                  {0.8, 1.1}}));

TEST(SupernodalEvaluatorTest, AutoChoosesTheSupernodalFactorForInstEval) {
  // 1,159 rows of S about 20% full: the plan needs well under half the dense flops.
  const ModelFrame f = test::LoadFrame(LMM_SHARED_DIR, "insteval",
                                       "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)");
  CpuEvaluator ev(f, EvaluatorOptions{Backend::kCpu, 1});
  EXPECT_TRUE(ev.supernodal());
  const ModelFrame small = test::LoadFrame(LMM_SHARED_DIR, "penicillin",
                                           "diameter ~ 1 + (1 | plate) + (1 | sample)");
  EXPECT_FALSE(CpuEvaluator(small, EvaluatorOptions{Backend::kCpu, 1}).supernodal());
}

}  // namespace
}  // namespace lmm
