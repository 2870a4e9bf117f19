// The per-cluster variance mathematics (kernels/variance_math.h, run by the GPU kernels) on the
// host:
//  - ClusterRowsFactor (Givens) against Eigen's Householder QR;
//  - ClusterVarianceFactors and ClusterVarianceEntries of one cluster against the explicit n x n
//    V_r^{-1} (Z'V^{-1}Z, X'V^{-k}X, ...): 1e-12 relative at Lambda ~ 1, 1e-9 at Lambda ~ 30 with a
//    column of X equal to one of Z (the reference's own n x n inverse loses digits there);
//  - the whole cluster-math engine (ComputeVariancePiecesClusterMath) against the CPU row engine
//    (ComputeVariancePieces, itself tested against the n x n formulas in tests/inference) on
//    sleepstudy (q = 2), unbalanced simulated designs with one-row clusters, q = 1 and q = 3, and
//    diagonal / compound-symmetry terms, and a random slope on a fixed covariate (theta 1, 10):
//    every piece to 1e-10 relative (Frobenius; both engines form sums of products, rows against
//    per-cluster QR factors, so they differ by rounding only);
//  - at theta 30, the engine against a long double n x n reference.
#include "variance_math.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <vector>

#include "inference/ddf/cluster_partition.h"
#include "inference/ddf/variance_pieces.h"
#include "inference/ddf/variance_workspace.h"
#include "lmm/load.h"
#include "model/theta_layout.h"
#include "simulated_frame.h"

namespace lmm {
namespace {

using Eigen::MatrixXd;
using ML = Eigen::Matrix<long double, Eigen::Dynamic, Eigen::Dynamic>;
using inference::ddf::ClusterPartition;
using inference::ddf::VariancePieces;

double Rel(const MatrixXd& a, const MatrixXd& b) {
  return (a - b).norm() / std::max(b.norm(), 1e-300);
}

// A cluster's factors and outputs in the view layout (stride 1), the factors by ClusterRowsFactor
// from rows [z xe].
struct Outputs : inference::ddf::VarianceWorkspace {
  std::vector<double> rows;
  kernels::VarianceClusterView& v = view;
  Outputs(const MatrixXd& z, const MatrixXd& xe, int nr)
      : VarianceWorkspace(1, static_cast<int>(z.cols()), static_cast<int>(xe.cols()), nr) {
    const auto q = static_cast<int>(z.cols()), w = static_cast<int>(xe.cols());
    for (Eigen::Index i = 0; i < z.rows(); ++i) {
      for (int e = 0; e < q; ++e) rows.push_back(z(i, e));
      for (int e = 0; e < w; ++e) rows.push_back(xe(i, e));
    }
    kernels::ClusterRowsFactor(v, 0, rows.data(), 0, z.rows());
  }
  // T (q + w square, upper) from the view's pieces.
  MatrixXd T() const {
    const int q = v.q, w = v.w;
    MatrixXd t = MatrixXd::Zero(q + w, q + w);
    t.topLeftCorner(q, q) = Eigen::Map<const MatrixXd>(tz.data(), q, q);
    t.topRightCorner(q, w) = Eigen::Map<const MatrixXd>(tzx.data(), q, w);
    for (int j = 0; j < w; ++j)
      for (int i = 0; i <= j; ++i) t(q + i, q + j) = tx[kernels::PackedIndex(j, i)];
    return t;
  }
};

// ClusterRowsFactor against Eigen's Householder QR: T'T = A'A (1e-14 relative), T upper
// triangular with |T| = |R| row by row (QR is unique up to row signs; Givens keeps the diagonal
// >= 0), for more and fewer rows than columns and no rows at all.
TEST(VarianceMathTest, RowsFactorMatchesEigenQr) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal;
  for (int rows : {0, 1, 3, 9, 40}) {
    const int q = 2, w = 4;
    MatrixXd z(rows, q), xe(rows, w);
    for (Eigen::Index i = 0; i < z.size(); ++i) z.data()[i] = normal(rng);
    for (Eigen::Index i = 0; i < xe.size(); ++i) xe.data()[i] = 10 * normal(rng);
    const Outputs o(z, xe, 1);
    const MatrixXd t = o.T();
    MatrixXd a(rows, q + w);
    a << z, xe;
    const MatrixXd gram = a.transpose() * a;
    EXPECT_LE((t.transpose() * t - gram).norm(), 1e-14 * std::max(gram.norm(), 1.0)) << rows;
    EXPECT_EQ(t.triangularView<Eigen::StrictlyLower>().toDenseMatrix().norm(), 0.0);
    if (rows >= q + w) {
      const MatrixXd r = Eigen::HouseholderQR<MatrixXd>(a)
                             .matrixQR()
                             .topRows(q + w)
                             .triangularView<Eigen::Upper>();
      EXPECT_LE((t.cwiseAbs() - r.cwiseAbs()).norm(), 1e-13 * r.norm()) << rows;
      EXPECT_GE(t.diagonal().minCoeff(), 0.0);
    }
  }
}

// One cluster against the explicit n x n V_r^{-1} = (I + Z Lambda Lambda' Z')^{-1} in long double,
// including a large Lambda with X inside the span of Z (where differences of cross-products would
// cancel): 1e-12 relative at Lambda ~ 1, 1e-10 at Lambda ~ 30.
TEST(VarianceMathTest, FactorsOfOneClusterMatchEigen) {
  for (double scale : {0.8, 30.0})
    for (int q = 1; q <= 3; ++q) {
      SCOPED_TRACE("q=" + std::to_string(q) + " scale=" + std::to_string(scale));
      const int w = 4, nr = 1, rows = 6;
      std::mt19937_64 rng(7 + q);
      std::normal_distribution<double> normal;
      MatrixXd z(rows, q), xe(rows, w);
      for (Eigen::Index i = 0; i < z.size(); ++i) z.data()[i] = normal(rng);
      for (Eigen::Index i = 0; i < xe.size(); ++i) xe.data()[i] = normal(rng);
      xe.col(0) = z.col(0);  // a column of X that is also a column of Z
      MatrixXd lambda = MatrixXd::Zero(q, q);
      for (int j = 0; j < q; ++j)
        for (int i = j; i < q; ++i) lambda(i, j) = scale * (i == j ? 0.8 + 0.3 * i : 0.25);
      const MatrixXd e = MatrixXd::Ones(q, q);  // one pattern
      Outputs o(z, xe, nr);
      kernels::ClusterVarianceFactors(o.v, 0, lambda.data(), e.data());

      // Reference in long double: the n x n inverse loses digits as Lambda grows.
      const ML zl = z.cast<long double>(), xl = xe.cast<long double>();
      const ML ll = lambda.cast<long double>();
      const ML vi =
          (ML::Identity(rows, rows) + zl * ll * ll.transpose() * zl.transpose()).inverse();
      const ML vi2 = vi * vi;
      const MatrixXd k_ref = (zl.transpose() * vi * zl).cast<double>();
      const MatrixXd k2_ref = (zl.transpose() * vi2 * zl).cast<double>();
      const MatrixXd bb_ref = (zl.transpose() * vi * xl).cast<double>();
      const MatrixXd b2_ref = (zl.transpose() * vi2 * xl).cast<double>();
      const ML sl = zl.transpose() * zl;
      const ML ml = ll * (ll.transpose() * sl * ll + ML::Identity(q, q)).inverse() * ll.transpose();
      const MatrixXd ms = (ml * sl).cast<double>();
      // At Lambda ~ 30 the V^{-2} forms (B2, qt_k,res) are conditioned by kappa(G) ~ 1e4: 1e-10.
      const double tol = scale < 1 ? 1e-12 : 1e-10;
      EXPECT_LT(Rel(Eigen::Map<MatrixXd>(o.k.data(), q, q), k_ref), tol);
      EXPECT_LT(Rel(Eigen::Map<MatrixXd>(o.bb.data(), q, w), bb_ref), tol);
      EXPECT_LT(Rel(Eigen::Map<MatrixXd>(o.b2.data(), q, w), b2_ref), tol);
      EXPECT_NEAR(o.scal[0], ms.trace(), tol * std::abs(ms.trace()));
      EXPECT_NEAR(o.scal[1], (ms * ms).trace(), tol * std::abs((ms * ms).trace()));
      EXPECT_NEAR(o.scal[2], (e * k_ref).trace(), tol * std::abs((e * k_ref).trace()));
      const double t_kk = (e * k_ref * e * k_ref).trace();
      EXPECT_NEAR(o.scal[3], t_kk, tol * std::abs(t_kk));
      const double t_res = (e * k2_ref).trace();
      EXPECT_NEAR(o.scal[4], t_res, tol * std::abs(t_res));
      EXPECT_EQ(o.scal[5], 0.0);

      // Every entry (a, b) of the matrix pieces.
      const int np = kernels::VarianceMatrixPieces(nr);
      ASSERT_EQ(np, 7);
      const MatrixXd eb = e * bb_ref;
      const MatrixXd xv[3] = {(xl.transpose() * vi * xl).cast<double>(),
                              (xl.transpose() * vi2 * xl).cast<double>(),
                              (xl.transpose() * vi2 * vi * xl).cast<double>()};
      const MatrixXd ref[3] = {bb_ref.transpose() * eb, eb.transpose() * k_ref * eb,
                               eb.transpose() * b2_ref};
      std::vector<double> out(np);
      for (int b = 0; b < w; ++b)
        for (int a = 0; a < w; ++a) {
          kernels::ClusterVarianceEntries(o.v, 0, e.data(), a, b, 0, np, out.data());
          for (int k = 0; k < 3; ++k)
            EXPECT_NEAR(out[0] + out[1 + k], xv[k](a, b), tol * xv[k].norm()) << a << b << k;
          for (int k = 0; k < 3; ++k)
            EXPECT_NEAR(out[4 + k], ref[k](a, b), tol * ref[k].norm()) << a << b << k;
          // The kernels ask for chunks of pieces: the same values piece by piece.
          for (int first = 0; first < np; ++first) {
            double one = 0;
            kernels::ClusterVarianceEntries(o.v, 0, e.data(), a, b, first, 1, &one);
            EXPECT_EQ(one, out[first]);
          }
        }
    }
}

TEST(VarianceMathTest, NonFiniteClusterIsFlagged) {
  MatrixXd z(3, 1), xe(3, 2);
  z << 1, std::nan(""), 3;
  xe << 1, 0, 1, 1, 1, 2;
  Outputs o(z, xe, 1);
  const double lambda = 1, e = 1;
  kernels::ClusterVarianceFactors(o.v, 0, &lambda, &e);
  EXPECT_EQ(o.scal.back(), 1.0);
  EXPECT_EQ(o.bb[0], 0.0);
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
  const double tol = 1e-10;
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

// y ~ x1 + x2 + (1 + x1 | g): X'V^{-1}X is far below X'X as theta grows, where a difference of
// cross-products (X'X - X'Z M Z'X) would lose up to 10 digits at theta ~ 30.
ModelFrame SlopeOnCovariateFrame() {
  test::SimulatedShape shape;
  shape.clusters = 30;
  shape.q = 2;
  shape.p = 3;
  shape.min_rows = 2;
  shape.max_rows = 12;
  shape.seed = 3;
  ModelFrame frame = test::SimulateOneTermFrame(shape);
  frame.random[0].z.col(1) = frame.x.col(1);
  return frame;
}

TEST(VarianceMathTest, EngineMatchesRowEngineWithSlopesOnCovariates) {
  const ModelFrame frame = SlopeOnCovariateFrame();
  for (double scale : {1.0, 10.0})
    ExpectSamePieces(frame, test::UnstructuredTheta(2, scale), 0.5,
                     "theta scale " + std::to_string(scale));
}

// At theta ~ 30 against P_k and Q_kj from the dense n x n V in long double: the cluster engine to
// 5e-10 relative (4e-11 seen; the smallest Q_k,res are the worst conditioned). The row engine is
// at 6e-10 there, so the engines are not compared with each other at this theta.
TEST(VarianceMathTest, EngineMatchesLongDoubleReferenceAtLargeTheta) {
  const ModelFrame frame = SlopeOnCovariateFrame();
  const ThetaLayout layout(frame);
  const ClusterPartition part = inference::ddf::PartitionClusters(frame);
  const std::vector<double> theta = test::UnstructuredTheta(2, 30.0);
  const double sigma2 = 0.5;
  const Eigen::VectorXd beta = frame.x.colPivHouseholderQr().solve(frame.y);
  const VariancePieces b =
      inference::ddf::ComputeVariancePiecesClusterMath(frame, part, layout, theta, sigma2, beta);
  const auto n = static_cast<Eigen::Index>(frame.n());
  const RandomEffectTerm& t = frame.random[0];
  std::vector<ML> g;
  ML v = ML::Zero(n, n);
  for (const auto& par : b.params) {
    ML gk = ML::Zero(n, n);
    if (par.term < 0) {
      gk.setIdentity();
    } else {
      const ML e = par.e.cast<long double>();
      for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = 0; j < n; ++j)
          if (t.level[i] == t.level[j])
            gk(i, j) = (t.z.row(i).cast<long double>() * e *
                        t.z.row(j).cast<long double>().transpose())(0, 0);
    }
    v += static_cast<long double>(par.value) * gk;
    g.push_back(gk);
  }
  const ML vi = v.inverse();
  const ML x = frame.x.cast<long double>();
  const ML vix = vi * x;
  auto rel = [](const MatrixXd& a, const ML& r) {
    return static_cast<double>((a.cast<long double>() - r).norm() / r.norm());
  };
  for (int k = 0; k < b.m(); ++k) {
    EXPECT_LT(rel(b.p[k], vix.transpose() * g[k] * vix), 5e-10) << "P_" << k;
    for (int j = 0; j < b.m(); ++j)
      EXPECT_LT(rel(b.Q(k, j), vix.transpose() * g[k] * vi * g[j] * vix), 5e-10) << "Q_" << k << j;
  }
  EXPECT_LT(rel(b.cov_beta, (x.transpose() * vix).inverse()), 1e-12);
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
