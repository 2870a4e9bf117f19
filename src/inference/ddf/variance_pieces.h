// The matrices every small-sample method is built from, with V = var(y) linear in the variance
// parameters phi (CovarianceBasis): V = sum_k phi_k G_k, G_k = dV/dphi_k.
//
// Notation of Kenward & Roger (1997) and pbkrtest (sign aside), with C = (X'V^{-1}X)^{-1} and the
// REML projection Pi = V^{-1} - V^{-1} X C X' V^{-1}:
//   P_k  = X'V^{-1} G_k V^{-1} X                 (= -d(X'V^{-1}X)/dphi_k; pbkrtest stores -P_k)
//   Q_kj = X'V^{-1} G_k V^{-1} G_j V^{-1} X
//   tr(Pi G_k Pi G_j) = tr(V^{-1}G_kV^{-1}G_j) - 2 tr(C Q_kj) + tr(C P_k C P_j)
//   expected REML information  I_E(k,j) = tr(Pi G_k Pi G_j) / 2
//   observed REML information  I_O(k,j) = -tr(Pi G_k Pi G_j) / 2 + y'Pi G_k Pi G_j Pi y
//   REML score                 s_k = (y'Pi G_k Pi y - tr(Pi G_k)) / 2
// (Harville 1977; second derivatives of V vanish because V is linear in phi). Pi y = V^{-1} e with
// e = y - X beta_hat, since X'V^{-1}e = 0.
//
// Nothing of size n x n is formed. With V = sigma^2 (I + Z Lambda Lambda' Z') (Lambda: relative
// covariance factor), Woodbury gives V^{-1} = sigma^{-2} (I - Z M Z'), M = Lambda (Lambda'Z'Z
// Lambda + I)^{-1} Lambda', and for any two column blocks F, H of [Z X e]:
//   F'V^{-1}H = sigma^{-2} (F'H - F'Z M Z'H),    F'V^{-2}H = sigma^{-2} (F'V^{-1}H - F'V^{-1}Z M
//   Z'H)
// Every quantity above is a sum over independent clusters (ClusterPartition) of products of the
// cluster's Z'Z, Z'X, Z'e, so the cost is sum_c (n_c q_c^2 + q_c^3) plus p^2 per cluster and
// parameter pair.
#pragma once

#include <Eigen/Dense>
#include <span>
#include <string>
#include <vector>

#include "inference/ddf/cluster_partition.h"
#include "inference/ddf/covariance_basis.h"
#include "lmm/model_frame.h"
#include "model/theta_layout.h"

namespace lmm::inference::ddf {

struct VariancePieces {
  std::vector<VarianceParameter> params;  // m parameters, the residual variance last
  double sigma2 = 0;
  Eigen::VectorXd beta;            // GLS estimate at the variance parameters (one refinement step)
  Eigen::MatrixXd cov_beta;        // C = (X'V^{-1}X)^{-1}
  std::vector<Eigen::MatrixXd> p;  // P_k, p x p
  std::vector<Eigen::MatrixXd> q;  // Q_kj at q[k * m + j], p x p
  Eigen::MatrixXd trace_vgvg;      // tr(V^{-1}G_kV^{-1}G_j), m x m
  Eigen::MatrixXd trace_pgpg;      // tr(Pi G_k Pi G_j)
  Eigen::MatrixXd expected_information;
  Eigen::MatrixXd observed_information;
  Eigen::VectorXd score;

  int m() const { return static_cast<int>(params.size()); }
  const Eigen::MatrixXd& Q(int k, int j) const { return q[static_cast<size_t>(k * m() + j)]; }
};

// At relative covariance parameters theta (ThetaLayout order) and residual variance sigma2;
// `beta` is a GLS estimate at them (FitCore's), refined here by one step computed from the
// residuals y - X beta so that responses far from zero lose no digits.
VariancePieces ComputeVariancePieces(const ModelFrame& frame, const ClusterPartition& partition,
                                     const ThetaLayout& layout, std::span<const double> theta,
                                     double sigma2, const Eigen::VectorXd& beta, int threads = 0);

// The cluster-math engine of one-term models (kernels/variance_math.h; the GPU kernels run the
// same functions): each cluster enters through the triangular factor of its rows [Z_c X_c e_c]
// (Givens rotations over its rows), and every piece is a sum of products of those factors, at
// least as stable as the row engine's sums over rows; the two agree to rounding.
// Applies to one random-effect term whose clusters are its levels, q <= kernels::kMaxClusterQ,
// p + 1 <= kernels::kMaxClusterW, at most kernels::kMaxVarianceParams random parameters.
bool ClusterMathApplies(const ModelFrame& frame, const ClusterPartition& partition);

// The engine on the host (serial; for tests and as the reference of the GPU pass). Same contract
// as ComputeVariancePieces; throws lmm::Error(kInternal) when !ClusterMathApplies.
VariancePieces ComputeVariancePiecesClusterMath(const ModelFrame& frame,
                                                const ClusterPartition& partition,
                                                const ThetaLayout& layout,
                                                std::span<const double> theta, double sigma2,
                                                const Eigen::VectorXd& beta, int threads = 0);

// The engine on the GPU (kernels/variance_kernels.h). Returns false with *reason when it cannot
// run (no CUDA build, no device, model outside ClusterMathApplies, device failure); the caller
// then uses ComputeVariancePieces.
bool ComputeVariancePiecesOnGpu(const ModelFrame& frame, const ClusterPartition& partition,
                                const ThetaLayout& layout, std::span<const double> theta,
                                double sigma2, const Eigen::VectorXd& beta, int threads,
                                VariancePieces* out, std::string* reason);

}  // namespace lmm::inference::ddf
