// Kenward & Roger (1997, Biometrics 53:983-997), as pbkrtest 0.5 (vcovAdj, .KR_adjust) computes it:
//  adjusted covariance  Phi_A = C + 2 C { sum_kj W_kj (Q_kj - P_k C P_j) } C
//    (C = cov(beta), P_k, Q_kj of VariancePieces, W = cov(phi_hat) = inverse expected REML
//    information by default; R_kj = 0 because V is linear in phi);
//  for H0: L beta = c with rank q, Theta = L'(L C L')^{-1} L, U_k = Theta C P_k C,
//    A1 = sum_kj W_kj tr(U_k) tr(U_j),  A2 = sum_kj W_kj tr(U_k U_j),
//    B = (A1 + 6 A2) / (2q),  g = ((q+1) A1 - (q+4) A2) / ((q+2) A2),
//    c1 = g / (3q + 2(1-g)),  c2 = (q-g) / (3q + 2(1-g)),  c3 = (q+2-g) / (3q + 2(1-g)),
//    rho = ((1 - A2/q) / (1 - c2 B))^2 (1 + c1 B) / (q (1 - c3 B)),
//    dendf m = 4 + (q+2) / (q rho - 1),  scale lambda = m (1 - A2/q) / (m - 2),
//    F = lambda (L beta - c)'(L Phi_A L')^{-1}(L beta - c) / q  ~  F(q, m).
#pragma once

#include <Eigen/Dense>

#include "inference/ddf/satterthwaite.h"
#include "inference/ddf/variance_pieces.h"

namespace lmm::inference::ddf {

Eigen::MatrixXd KenwardRogerCovariance(const VariancePieces& pieces, const Eigen::MatrixXd& w);

// f is the scaled F; for one row, estimate/std_error use Phi_A and f = lambda t^2.
HypothesisTest KenwardRogerTest(const VariancePieces& pieces, const Eigen::MatrixXd& w,
                                const Eigen::MatrixXd& adjusted, const Eigen::VectorXd& beta,
                                const Eigen::MatrixXd& l, const Eigen::VectorXd& rhs);

}  // namespace lmm::inference::ddf
