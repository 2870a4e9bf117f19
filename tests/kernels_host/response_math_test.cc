// kernels/response_math.h (the per-(cluster, response) step of the batched many-response kernel)
// run on the host, against an independent Eigen reference formed from the model frame itself:
// per cluster, L_c = chol(Lambda' Z_c'Z_c Lambda + I) by Eigen::LLT and
// P_c = [X_c y_r]'Z_c Lambda L_c^{-T} by a triangular solve; summed over clusters into
// log|L|^2 = sum 2 log det L_c and sum_c P_c P_c'.
//
// Tolerance 1e-12 relative (to the largest entry of the sum): the same real quantities, formed in
// a different order (the frame's rows summed per cluster by Eigen against the CPU backend's
// cross-products, which also center X and y), so only rounding of O(1e2) terms differs.
#include "response_math.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <vector>

#include "kernels_host/simulated_frame.h"
#include "likelihood/cpu/cross_products.h"
#include "likelihood/gpu/cluster_pack.h"
#include "likelihood/response_batch.h"
#include "model/theta_layout.h"

namespace lmm {
namespace {

struct Reference {
  double logdet = 0;
  Eigen::MatrixXd downdate;  // w x w
};

// The reference for response y on frame f's design, in the cross-products' basis: X and y
// centered as cp.centering says.
Reference EigenReference(const ModelFrame& f, const Eigen::VectorXd& y,
                         const cpu::CenteringInfo& cen, const Eigen::MatrixXd& lambda) {
  const RandomEffectTerm& t = f.random[0];
  const int q = t.q(), p = f.p(), w = p + 1;
  std::vector<Eigen::MatrixXd> ztz(t.levels, Eigen::MatrixXd::Zero(q, q));
  std::vector<Eigen::MatrixXd> g(t.levels, Eigen::MatrixXd::Zero(w, q));
  const double y_shift = cen.centered ? y.mean() : 0.0;
  for (int64_t i = 0; i < f.n(); ++i) {
    const int c = t.level[i];
    const Eigen::VectorXd z = t.z.row(i).transpose();
    Eigen::VectorXd v(w);
    for (int j = 0; j < p; ++j) v(j) = f.x(i, j) - (cen.centered ? cen.x_shift(j) : 0.0);
    v(p) = y(i) - y_shift;
    ztz[c] += z * z.transpose();
    g[c] += v * z.transpose();
  }
  Reference r;
  r.downdate = Eigen::MatrixXd::Zero(w, w);
  for (int64_t c = 0; c < t.levels; ++c) {
    const Eigen::MatrixXd m =
        lambda.transpose() * ztz[c] * lambda + Eigen::MatrixXd::Identity(q, q);
    const Eigen::LLT<Eigen::MatrixXd> llt(m);
    const Eigen::MatrixXd l = llt.matrixL();
    r.logdet += 2.0 * std::log(l.diagonal().prod());
    // P = G Lambda L^{-T}  <=>  P L' = G Lambda  <=>  L P' = (G Lambda)'.
    const Eigen::MatrixXd pt = l.triangularView<Eigen::Lower>().solve((g[c] * lambda).transpose());
    r.downdate += pt.transpose() * pt;
  }
  return r;
}

TEST(ResponseMath, BatchedStepMatchesAnEigenReferencePerResponseAndLambda) {
  for (const int q : {1, 2, 3, 5}) {
    test::SimulatedShape shape;
    shape.clusters = 17;
    shape.q = q;
    shape.p = 3;
    shape.min_rows = 1;
    shape.max_rows = 9;
    shape.empty_levels = 2;  // clusters without rows: D_c = 0, L_c = I
    shape.seed = 40 + q;
    const ModelFrame f = test::SimulateOneTermFrame(shape);
    const ThetaLayout layout(f);
    const cpu::CrossProducts shared = cpu::BuildCrossProducts(f, layout);
    const gpu::HostClusters design = gpu::PackClusters(shared);

    // Three responses in slots 0..2: the frame's y, a rescaled and shifted copy, a sine.
    std::vector<Eigen::VectorXd> ys = {f.y, 3.0 * f.y.array() + 7.0, f.y};
    for (int64_t i = 0; i < f.n(); ++i) ys[2](i) = std::sin(0.1 * static_cast<double>(i * i));
    std::vector<double> yz;
    std::vector<cpu::CenteringInfo> centering;
    for (const Eigen::VectorXd& y : ys) {
      ModelFrame fr = f;
      fr.y = y;
      const ResponsePieces pieces = MakeResponsePieces(fr, shared);
      yz.insert(yz.end(), pieces.yz.begin(), pieces.yz.end());
      centering.push_back(pieces.finish.centering);
    }
    const kernels::ResponseView responses{design.clusters, q, 3, yz.data()};
    for (int slot = 0; slot < 3; ++slot)
      for (const double scale : {0.0, 0.4, 1.7}) {
        SCOPED_TRACE(::testing::Message() << "q " << q << " slot " << slot << " scale " << scale);
        std::vector<double> lambda(q * q);
        layout.term(0).FillLambda(test::UnstructuredTheta(q, scale), lambda.data());
        const gpu::ClusterReduction got =
            ResponseClusterPass(design.view(), responses, slot, lambda.data(), 0, design.clusters);
        const Reference ref = EigenReference(
            f, ys[slot], centering[slot], Eigen::Map<const Eigen::MatrixXd>(lambda.data(), q, q));
        ASSERT_EQ(got.first_failed, -1);
        EXPECT_NEAR(got.logdet, ref.logdet, 1e-12 * (1 + std::abs(ref.logdet)));
        const double size = ref.downdate.cwiseAbs().maxCoeff() + 1;
        const int w = f.p() + 1;
        for (int i = 0; i < w; ++i)
          for (int j = 0; j <= i; ++j)
            EXPECT_NEAR(got.downdate[kernels::PackedIndex(i, j)], ref.downdate(i, j), 1e-12 * size)
                << i << "," << j;
      }
  }
}

// A non-finite Lambda makes every cluster's block fail; the pass reports the first cluster.
TEST(ResponseMath, NonFiniteLambdaFailsTheFirstCluster) {
  test::SimulatedShape shape;
  shape.clusters = 6;
  shape.q = 2;
  const ModelFrame f = test::SimulateOneTermFrame(shape);
  const cpu::CrossProducts shared = cpu::BuildCrossProducts(f, ThetaLayout(f));
  const gpu::HostClusters design = gpu::PackClusters(shared);
  const ResponsePieces pieces = MakeResponsePieces(f, shared);
  const kernels::ResponseView responses{design.clusters, 2, 1, pieces.yz.data()};
  const std::vector<double> lambda = {NAN, 0, 0, 1};
  const gpu::ClusterReduction r =
      ResponseClusterPass(design.view(), responses, 0, lambda.data(), 0, design.clusters);
  EXPECT_EQ(r.first_failed, 0);
}

}  // namespace
}  // namespace lmm
