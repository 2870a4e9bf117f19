// Conditional modes and variances of a one-term model from the per-cluster cross-products on the
// host (the GPU evaluator keeps a host copy; per level the cost is that of one cluster step).
//
// With L_c and P_c = [P_X; p_y] as in cluster_math.h, the spherical modes solve
// L_c' u_c = p_y' - P_X' beta_c [Bates et al. 2015, eq. 20], b_c = Lambda u_c, and
// var(b_c | y) = sigma^2 Lambda L_c^{-T} L_c^{-1} Lambda' (lme4's condVar, beta taken as known).
#pragma once

#include <Eigen/Dense>
#include <limits>

#include "cluster_math.h"

namespace lmm::gpu {

// levels x q (row per level). lambda: q x q column-major; beta_centered: p values in the basis of
// the stored cross-products. Clusters whose block cannot be factored give NaN rows.
inline Eigen::MatrixXd OneTermModes(const kernels::ClusterView& v, const double* lambda,
                                    const Eigen::VectorXd& beta_centered) {
  using namespace kernels;
  const int q = v.q, w = v.w, p = w - 1;
  Eigen::Map<const Eigen::MatrixXd> lam(lambda, q, q);
  Eigen::MatrixXd out(v.stride, q);
  double d[kMaxClusterQ * kMaxClusterQ], l[kMaxClusterQ * kMaxClusterQ];
  double panel[kMaxClusterW * kMaxClusterQ];
  for (int64_t c = 0; c < v.stride; ++c) {
    LoadCluster(v, c, d, panel);
    double logdet = 0;
    if (!EliminateCluster(q, w, lambda, d, l, panel, &logdet)) {
      out.row(c).setConstant(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    Eigen::Map<const Eigen::MatrixXd> pc(panel, w, q);
    Eigen::VectorXd rhs = pc.row(p).transpose();
    if (p > 0) rhs -= pc.topRows(p).transpose() * beta_centered;
    Eigen::Map<const Eigen::MatrixXd> lc(l, q, q);
    const Eigen::VectorXd u = lc.transpose().triangularView<Eigen::Upper>().solve(rhs);
    out.row(c) = (lam * u).transpose();
  }
  return out;
}

// levels x (q q): each row a column-major q x q matrix.
inline Eigen::MatrixXd OneTermConditionalVariances(const kernels::ClusterView& v,
                                                   const double* lambda, double sigma2) {
  using namespace kernels;
  const int q = v.q;
  Eigen::Map<const Eigen::MatrixXd> lam(lambda, q, q);
  Eigen::MatrixXd out(v.stride, q * q);
  double d[kMaxClusterQ * kMaxClusterQ], l[kMaxClusterQ * kMaxClusterQ];
  double panel[kMaxClusterW * kMaxClusterQ];
  for (int64_t c = 0; c < v.stride; ++c) {
    LoadCluster(v, c, d, panel);
    double logdet = 0;
    if (!FactorClusterBlock(q, lambda, d, l, &logdet)) {
      out.row(c).setConstant(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    Eigen::Map<const Eigen::MatrixXd> lc(l, q, q);
    const Eigen::MatrixXd linv =
        lc.triangularView<Eigen::Lower>().solve(Eigen::MatrixXd::Identity(q, q));
    const Eigen::MatrixXd b = sigma2 * lam * linv.transpose() * linv * lam.transpose();
    out.row(c) = Eigen::Map<const Eigen::RowVectorXd>(b.data(), q * q);
  }
  return out;
}

}  // namespace lmm::gpu
