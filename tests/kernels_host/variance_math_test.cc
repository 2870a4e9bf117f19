// The per-cluster variance mathematics (kernels/variance_math.h, run by the GPU kernels) on the
// host:
//  - ClusterVarianceFactors of one cluster against Eigen's explicit Woodbury forms
//    (M = Lambda (Lambda'S Lambda + I)^{-1} Lambda', K = S - SMS, ...): 1e-12 relative (q <= 3,
//    well-conditioned A: plain rounding);
//  - the whole cluster-math engine (ComputeVariancePiecesClusterMath) against the CPU row engine
//    (ComputeVariancePieces, itself tested against the n x n formulas in tests/inference) on
//    sleepstudy (q = 2), unbalanced simulated designs with one-row clusters, q = 1 and q = 3, and
//    diagonal / compound-symmetry terms: every piece to 1e-9 relative (Frobenius). The engines
//    differ in form: cross-product differences (Xe'Xe - R'MR ...) against sums over rows, which
//    amplifies rounding by about ||Xe'Xe|| / ||Xe'V^{-1}Xe|| (below 1e3 here).
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <vector>

#include "inference/ddf/cluster_partition.h"
#include "inference/ddf/variance_pieces.h"
#include "lmm/load.h"
#include "model/theta_layout.h"
#include "simulated_frame.h"
#include "variance_math.h"

namespace lmm {
namespace {

using Eigen::MatrixXd;
using inference::ddf::ClusterPartition;
using inference::ddf::VariancePieces;

double Rel(const MatrixXd& a, const MatrixXd& b) {
  return (a - b).norm() / std::max(b.norm(), 1e-300);
}

TEST(VarianceMathTest, FactorsOfOneClusterMatchEigen) {
  for (int q = 1; q <= 3; ++q) {
    const int w = 4, nr = 1;
    std::mt19937_64 rng(7 + q);
    std::normal_distribution<double> normal;
    MatrixXd z(6, q), xe(6, w);
    for (Eigen::Index i = 0; i < z.size(); ++i) z.data()[i] = normal(rng);
    for (Eigen::Index i = 0; i < xe.size(); ++i) xe.data()[i] = normal(rng);
    MatrixXd lambda = MatrixXd::Zero(q, q);
    for (int j = 0; j < q; ++j)
      for (int i = j; i < q; ++i) lambda(i, j) = i == j ? 0.8 + 0.3 * i : 0.25;
    const MatrixXd s = z.transpose() * z, r = z.transpose() * xe;
    const MatrixXd e = MatrixXd::Ones(q, q);  // one pattern
    std::vector<double> m(q * q), k(q * q), mr(q * w), bb(q * w), mb(q * w), b2(q * w),
        scal(kernels::VarianceScalars(nr));
    kernels::VarianceClusterView v{1,        q,         w,         nr,        s.data(),
                                   r.data(), m.data(),  k.data(),  mr.data(), bb.data(),
                                   mb.data(), b2.data(), scal.data()};
    kernels::ClusterVarianceFactors(v, 0, lambda.data(), e.data());

    const MatrixXd a = lambda.transpose() * s * lambda + MatrixXd::Identity(q, q);
    const MatrixXd m_ref = lambda * a.inverse() * lambda.transpose();
    const MatrixXd k_ref = s - s * m_ref * s;
    const MatrixXd bb_ref = r - s * m_ref * r;
    const MatrixXd b2_ref = bb_ref - s * m_ref * bb_ref;
    // The same from the n x n V_r^{-1} = (I + Z Lambda Lambda' Z')^{-1}.
    const MatrixXd vi =
        (MatrixXd::Identity(6, 6) + z * lambda * lambda.transpose() * z.transpose()).inverse();
    EXPECT_LT(Rel(k_ref, z.transpose() * vi * z), 1e-12);
    EXPECT_LT(Rel(b2_ref, z.transpose() * vi * vi * xe), 1e-12);

    EXPECT_LT(Rel(Eigen::Map<MatrixXd>(m.data(), q, q), m_ref), 1e-12) << q;
    EXPECT_LT(Rel(Eigen::Map<MatrixXd>(k.data(), q, q), k_ref), 1e-12) << q;
    EXPECT_LT(Rel(Eigen::Map<MatrixXd>(mr.data(), q, w), m_ref * r), 1e-12) << q;
    EXPECT_LT(Rel(Eigen::Map<MatrixXd>(bb.data(), q, w), bb_ref), 1e-12) << q;
    EXPECT_LT(Rel(Eigen::Map<MatrixXd>(mb.data(), q, w), m_ref * bb_ref), 1e-12) << q;
    EXPECT_LT(Rel(Eigen::Map<MatrixXd>(b2.data(), q, w), b2_ref), 1e-12) << q;
    const MatrixXd ms = m_ref * s;
    EXPECT_NEAR(scal[0], ms.trace(), 1e-12 * std::abs(ms.trace()));
    EXPECT_NEAR(scal[1], (ms * ms).trace(), 1e-12 * std::abs((ms * ms).trace()));
    EXPECT_NEAR(scal[2], (e * k_ref).trace(), 1e-12 * std::abs((e * k_ref).trace()));
    const double t_kk = (e * k_ref * e * k_ref).trace();
    EXPECT_NEAR(scal[3], t_kk, 1e-12 * std::abs(t_kk));
    const double t_res = (e * (k_ref - k_ref * ms)).trace();
    EXPECT_NEAR(scal[4], t_res, 1e-12 * std::abs(t_res));
    EXPECT_EQ(scal[5], 0.0);

    // Entry (a, b) = (1, 2) of the matrix pieces.
    std::vector<double> out(kernels::VarianceMatrixPieces(nr));
    kernels::ClusterVarianceEntries(v, 0, e.data(), 1, 2, 0, static_cast<int>(out.size()),
                                    out.data());
    const MatrixXd eb = e * bb_ref;
    const double ref[] = {(r.transpose() * m_ref * r)(1, 2),
                          ((m_ref * r).transpose() * bb_ref)(1, 2),
                          (bb_ref.transpose() * m_ref * bb_ref)(1, 2),
                          (bb_ref.transpose() * eb)(1, 2),
                          (eb.transpose() * k_ref * eb)(1, 2),
                          (eb.transpose() * b2_ref)(1, 2)};
    ASSERT_EQ(out.size(), 6u);
    for (int i = 0; i < 6; ++i) EXPECT_NEAR(out[i], ref[i], 1e-12 * (1 + std::abs(ref[i]))) << i;
    // The kernels ask for chunks of pieces: the same values piece by piece.
    for (int first = 0; first < 6; ++first) {
      double one = 0;
      kernels::ClusterVarianceEntries(v, 0, e.data(), 1, 2, first, 1, &one);
      EXPECT_EQ(one, out[first]);
    }
  }
}

TEST(VarianceMathTest, NonFiniteClusterIsFlagged) {
  const int q = 1, w = 2, nr = 1;
  const double s = std::nan(""), r[2] = {1, 2}, lambda = 1, e = 1;
  std::vector<double> m(1), k(1), mr(2), bb(2), mb(2), b2(2), scal(kernels::VarianceScalars(nr));
  kernels::VarianceClusterView v{1,        q,         w,         nr,        &s,
                                 r,        m.data(),  k.data(),  mr.data(), bb.data(),
                                 mb.data(), b2.data(), scal.data()};
  kernels::ClusterVarianceFactors(v, 0, &lambda, &e);
  EXPECT_EQ(scal.back(), 1.0);
  EXPECT_EQ(bb[0], 0.0);
}

TEST(VarianceMathTest, PairIndexRoundTrips) {
  for (int j = 0; j < kernels::kMaxVarianceParams; ++j)
    for (int k = 0; k <= j; ++k) {
      int kk = -1, jj = -1;
      kernels::VariancePairOf(kernels::PackedIndex(j, k), &kk, &jj);
      EXPECT_EQ(kk, k);
      EXPECT_EQ(jj, j);
    }
}

void ExpectSamePieces(const ModelFrame& frame, const std::vector<double>& theta, double sigma2,
                      const std::string& what) {
  const ThetaLayout layout(frame);
  const ClusterPartition part = inference::ddf::PartitionClusters(frame);
  ASSERT_TRUE(inference::ddf::ClusterMathApplies(frame, part)) << what;
  const Eigen::VectorXd beta =
      frame.x.colPivHouseholderQr().solve(frame.y) + Eigen::VectorXd::Constant(frame.p(), 0.1);
  const VariancePieces a =
      inference::ddf::ComputeVariancePieces(frame, part, layout, theta, sigma2, beta, 1);
  const VariancePieces b =
      inference::ddf::ComputeVariancePiecesClusterMath(frame, part, layout, theta, sigma2, beta);
  const double tol = 1e-9;
  ASSERT_EQ(a.m(), b.m()) << what;
  EXPECT_LT(Rel(b.beta, a.beta), tol) << what;
  EXPECT_LT(Rel(b.cov_beta, a.cov_beta), tol) << what;
  for (int k = 0; k < a.m(); ++k) {
    EXPECT_LT(Rel(b.p[k], a.p[k]), tol) << what << " P_" << k;
    for (int j = 0; j < a.m(); ++j) EXPECT_LT(Rel(b.Q(k, j), a.Q(k, j)), tol) << what;
  }
  EXPECT_LT(Rel(b.trace_vgvg, a.trace_vgvg), tol) << what;
  EXPECT_LT(Rel(b.trace_pgpg, a.trace_pgpg), tol) << what;
  EXPECT_LT(Rel(b.expected_information, a.expected_information), tol) << what;
  EXPECT_LT(Rel(b.observed_information, a.observed_information), tol) << what;
  // The score is a difference of two terms of the information's size: compare on that scale.
  EXPECT_LT((b.score - a.score).norm() / a.expected_information.norm(), tol) << what;
}

TEST(VarianceMathTest, EngineMatchesRowEngineOnSleepstudy) {
  LoadOptions load;
  load.data_path = std::string(LMM_SHARED_DIR) + "/data/sleepstudy.csv";
  load.formula = "Reaction ~ Days + (1 + Days | Subject)";
  const ModelFrame frame = LoadModel(load).frame;
  // Near lme4's REML estimate (theta = (0.967, 0.0152, 0.231), sigma = 25.59) and away from it.
  ExpectSamePieces(frame, {0.967, 0.0152, 0.231}, 654.9, "sleepstudy at the estimate");
  ExpectSamePieces(frame, {2.0, -0.5, 0.7}, 300.0, "sleepstudy elsewhere");
}

TEST(VarianceMathTest, EngineMatchesRowEngineOnSimulatedDesigns) {
  for (int q = 1; q <= 3; ++q) {
    test::SimulatedShape shape;
    shape.clusters = 40;
    shape.q = q;
    shape.p = 3;
    shape.min_rows = 1;  // one-row clusters included
    shape.max_rows = 9;
    shape.seed = 11 + q;
    const ModelFrame frame = test::SimulateOneTermFrame(shape);
    ExpectSamePieces(frame, test::UnstructuredTheta(q, 0.7), 1.7, "q=" + std::to_string(q));
  }
}

TEST(VarianceMathTest, EngineMatchesRowEngineForStructuredTerms) {
  test::SimulatedShape shape;
  shape.clusters = 30;
  shape.q = 3;
  shape.p = 2;
  shape.seed = 5;
  ModelFrame frame = test::SimulateOneTermFrame(shape);
  frame.random[0].structure = CovStructure::kDiagonal;
  ExpectSamePieces(frame, {0.6, 0.9, 1.2}, 2.0, "diag");
  frame.random[0].homogeneous = true;
  ExpectSamePieces(frame, {0.8}, 2.0, "homogeneous diag");
  frame.random[0].structure = CovStructure::kCompoundSymmetry;
  ExpectSamePieces(frame, {0.8, 0.3}, 2.0, "homogeneous cs");
}

TEST(VarianceMathTest, NotApplicableToTwoTerms) {
  test::CrossedShape shape;
  const ModelFrame frame = test::SimulateCrossedFrame(shape);
  const ClusterPartition part = inference::ddf::PartitionClusters(frame);
  EXPECT_FALSE(inference::ddf::ClusterMathApplies(frame, part));
}

}  // namespace
}  // namespace lmm
