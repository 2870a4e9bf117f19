// Internal to the variance pieces (variance_pieces.cc, the row engine; cluster_math_pieces.cc,
// the per-cluster engine of kernels/variance_math.h on the host or the GPU): the cluster sums
// both engines produce, the prepared inputs, and the shared finish from sums to pieces.
#pragma once

#include <Eigen/Dense>
#include <span>
#include <vector>

#include "inference/ddf/variance_pieces.h"

namespace lmm::inference::ddf::internal {

// Sums over clusters in relative units (V_r = V / sigma^2 = I + Z Lambda Lambda' Z'), with
// Xe = [X e0] (p1 = p + 1 columns), U = V_r^{-1}Xe = Xe - Z M Z'Xe and U2 = V_r^{-1}U computed row
// by row (so that V^{-2} and V^{-3} forms are sums of products, not differences of differences),
// B = Z'U, B2 = Z'U2 of a cluster.
struct Sums {
  Eigen::MatrixXd xvx, xv2x, xv3x;  // sum Xe'U, U'U, U'U2
  double tr_ms = 0, tr_msms = 0;
  std::vector<Eigen::MatrixXd> pt;  // random k: sum B'E_k B
  std::vector<Eigen::MatrixXd>
      qt;                 // random k, j >= k: [k * m + j] sum B'E_k K E_j B (j = m-1: B'E_k B2)
  Eigen::MatrixXd t;      // random k, j >= k: tr(E_k K E_j K); j = m-1: tr(E_k K2)
  Eigen::VectorXd tr_vg;  // random k: tr(E_k K)

  Sums(int m, int p1)
      : xvx(Eigen::MatrixXd::Zero(p1, p1)),
        xv2x(xvx),
        xv3x(xvx),
        pt(static_cast<size_t>(m), xvx),
        qt(static_cast<size_t>(m * m), xvx),
        t(Eigen::MatrixXd::Zero(m, m)),
        tr_vg(Eigen::VectorXd::Zero(m)) {}

  void Add(const Sums& o) {
    xvx += o.xvx;
    xv2x += o.xv2x;
    xv3x += o.xv3x;
    tr_ms += o.tr_ms;
    tr_msms += o.tr_msms;
    for (size_t i = 0; i < pt.size(); ++i) pt[i] += o.pt[i];
    for (size_t i = 0; i < qt.size(); ++i) qt[i] += o.qt[i];
    t += o.t;
    tr_vg += o.tr_vg;
  }
};

// Lambda per term, the parameters and [X e0] with the GLS beta it was formed from.
struct Prepared {
  std::vector<Eigen::MatrixXd> lambda;
  VariancePieces out;  // params and sigma2
  Eigen::MatrixXd xe;
  Eigen::VectorXd beta_in;
};

Prepared Prepare(const ModelFrame& frame, const ThetaLayout& layout, std::span<const double> theta,
                 double sigma2, const Eigen::VectorXd& beta);

// From the cluster sums (random parameters' entries filled for k <= j) to the pieces.
VariancePieces Finish(Sums& s, Prepared& pr, int64_t n);

}  // namespace lmm::inference::ddf::internal
