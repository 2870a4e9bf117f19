// VariancePieces (cluster sums through Woodbury) against the same quantities from the explicit
// n x n V = sigma^2 I + sum_k phi_k G_k on small data sets: nested (sleepstudy, pastes: clusters)
// and crossed (penicillin: one cluster). Agreement to 1e-8 relative (both are direct linear
// algebra in double; the condition numbers are below 1e6). Also: the REML score is zero at the
// REML estimate (1e-4 relative to the information's scale: the optimizer stops at ~1e-6 in theta).
#include "inference/ddf/variance_pieces.h"

#include <gtest/gtest.h>

#include "inference/ddf/cluster_partition.h"
#include "inference/ddf_test_util.h"
#include "likelihood/fit_core.h"

namespace lmm {
namespace {

using Eigen::MatrixXd;
using inference::ddf::VariancePieces;

double Rel(const MatrixXd& a, const MatrixXd& b) {
  return (a - b).norm() / std::max(b.norm(), 1e-300);
}

struct Dense {
  MatrixXd c;
  std::vector<MatrixXd> p, q;
  MatrixXd tr_pgpg, info_o;
  Eigen::VectorXd score;
};

Dense DenseReference(const ModelFrame& frame, const VariancePieces& pc) {
  const Eigen::Index n = frame.n();
  const int m = pc.m();
  std::vector<MatrixXd> g;
  MatrixXd v = MatrixXd::Zero(n, n);
  for (const auto& par : pc.params) {
    MatrixXd gk = MatrixXd::Zero(n, n);
    if (par.term < 0) {
      gk.setIdentity();
    } else {
      const RandomEffectTerm& re = frame.random[static_cast<size_t>(par.term)];
      for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = 0; j < n; ++j)
          if (re.level[i] == re.level[j])
            gk(i, j) = re.z.row(i).dot(par.e * re.z.row(j).transpose());
    }
    v += par.value * gk;
    g.push_back(gk);
  }
  const MatrixXd vi = v.ldlt().solve(MatrixXd::Identity(n, n));
  Dense d;
  d.c = (frame.x.transpose() * vi * frame.x).inverse();
  const MatrixXd proj = vi - vi * frame.x * d.c * frame.x.transpose() * vi;
  const Eigen::VectorXd py = proj * frame.y;
  d.tr_pgpg.resize(m, m);
  d.info_o.resize(m, m);
  d.score.resize(m);
  for (int k = 0; k < m; ++k) {
    d.p.push_back(frame.x.transpose() * vi * g[k] * vi * frame.x);
    d.score(k) = 0.5 * (py.dot(g[k] * py) - (proj * g[k]).trace());
    for (int j = 0; j < m; ++j) {
      d.q.push_back(frame.x.transpose() * vi * g[k] * vi * g[j] * vi * frame.x);
      d.tr_pgpg(k, j) = (proj * g[k] * proj * g[j]).trace();
      d.info_o(k, j) = -0.5 * d.tr_pgpg(k, j) + py.dot(g[k] * proj * g[j] * py);
    }
  }
  return d;
}

void Check(const std::string& file, const std::string& formula) {
  SCOPED_TRACE(formula);
  const ModelFrame frame = testing::LoadFrame(testing::SharedDir() + "/data/" + file, formula);
  FitCoreOptions options;
  const FitCoreResult core = FitCore(frame, options);
  const ThetaLayout layout(frame);
  const auto part = inference::ddf::PartitionClusters(frame);
  const VariancePieces pc = inference::ddf::ComputeVariancePieces(frame, part, layout, core.theta,
                                                                  core.sigma2, core.beta, 2);
  const Dense d = DenseReference(frame, pc);
  EXPECT_LT(Rel(pc.cov_beta, d.c), 1e-8);
  EXPECT_LT(Rel(pc.cov_beta, core.beta_covariance), 1e-8);
  for (int k = 0; k < pc.m(); ++k) {
    EXPECT_LT(Rel(pc.p[k], d.p[k]), 1e-8) << k;
    for (int j = 0; j < pc.m(); ++j)
      EXPECT_LT(Rel(pc.Q(k, j), d.q[static_cast<size_t>(k * pc.m() + j)]), 1e-8) << k << j;
  }
  EXPECT_LT(Rel(pc.trace_pgpg, d.tr_pgpg), 1e-8);
  EXPECT_LT(Rel(pc.observed_information, d.info_o), 1e-6);
  EXPECT_LT((pc.score - d.score).norm(), 1e-8 * d.info_o.norm() + 1e-8 * d.score.norm());
  // Stationary point of the REML likelihood: |score_k| small against sqrt(I_kk) (the score's SD).
  for (int k = 0; k < pc.m(); ++k)
    EXPECT_LT(std::abs(pc.score(k)), 1e-3 * std::sqrt(pc.expected_information(k, k))) << k;
}

TEST(VariancePieces, NestedOneFactor) {
  Check("sleepstudy.csv", "Reaction ~ Days + (Days | Subject)");
  Check("sleepstudy.csv", "Reaction ~ Days + (Days || Subject)");
}

TEST(VariancePieces, NestedTwoFactors) {
  const ModelFrame frame = testing::LoadFrame(testing::SharedDir() + "/data/pastes.csv",
                                              "strength ~ 1 + (1 | batch/cask)");
  EXPECT_TRUE(inference::ddf::PartitionClusters(frame).nested);
  EXPECT_EQ(inference::ddf::PartitionClusters(frame).clusters, 10);
  Check("pastes.csv", "strength ~ 1 + (1 | batch/cask)");
}

TEST(VariancePieces, Crossed) {
  Check("penicillin.csv", "diameter ~ 1 + (1 | plate) + (1 | sample)");
}

TEST(VariancePieces, Factor) {
  Check("machines.csv", "score ~ Machine + (1 | Worker) + (1 | Worker:Machine)");
}

}  // namespace
}  // namespace lmm
