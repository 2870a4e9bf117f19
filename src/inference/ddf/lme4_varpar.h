// cov(phi_hat) as lmerTest forms it for Satterthwaite's df: from the Hessian of the REML deviance
// in lme4's variance parameters v = (theta, sigma) (lmerTest::as_lmerModLT, Kuznetsova et al.
// 2017, J. Stat. Softw. 82(13): vcov_varpar = 2 H_v^{-1}, df = 2 (l'Cl)^2 / (g_v' vcov_varpar
// g_v), g_v = d(l'Cl)/dv), carried to the covariance parameters phi of VariancePieces.
//
// With phi = phi(v) (Sigma_t = sigma^2 Lambda_t Lambda_t', the residual variance sigma^2),
// J = dphi/dv, the REML deviance D = -2 l_R, grad_phi D = -2 s and Hess_phi D = 2 I_O
// (VariancePieces' score and observed information):
//   H_v = J' (2 I_O) J + sum_k (-2 s_k) d^2 phi_k / dv dv',
//   W = J (2 H_v^+) J',   so that g_phi' W g_phi = g_v' (2 H_v^+) g_v with g_v = J' g_phi.
// At an interior optimum (s = 0, J invertible) W = I_O^{-1}, the covariance in phi. At a singular
// fit they differ: the optimum is stationary in v (the deviance is even in a diagonal element of
// Lambda at 0) but not in phi, whose gradient there is not zero; lmerTest's df are those of v.
#pragma once

#include <Eigen/Dense>
#include <optional>
#include <span>

#include "inference/ddf/variance_pieces.h"
#include "lmm/model_frame.h"
#include "model/theta_layout.h"

namespace lmm::inference::ddf {

// W above (m x m, VariancePieces' parameter order), from pieces computed at (theta, sigma2).
// nullopt when some term has more than one column and a structure whose Lambda is not linear in
// theta (compound symmetry, homogeneous diagonal): lme4 has no such terms.
std::optional<Eigen::MatrixXd> Lme4VarparCovariance(const ModelFrame& frame,
                                                    const ThetaLayout& layout,
                                                    std::span<const double> theta, double sigma2,
                                                    const VariancePieces& pieces);

}  // namespace lmm::inference::ddf
