// Satterthwaite degrees of freedom for linear hypotheses L beta = c, as lmerTest computes them
// (Kuznetsova, Brockhoff & Christensen 2017, J. Stat. Softw. 82(13)):
//  one contrast l (Giesbrecht & Burns 1985): nu = 2 (l'Cl)^2 / (g' A g), g_k = d(l'C l)/dphi_k =
//    l' C P_k C l (C = cov(beta), P_k of VariancePieces), A = cov(phi_hat);
//  several (Fai & Cornelius 1996; lmerTest's contestMD): eigen-decompose L C L' = U D U', test the
//    rank-many independent t statistics of the rotated contrasts U'L with their nu_m, and
//    dendf = 2 E / (E - r), E = sum nu_m / (nu_m - 2) (2 if some nu_m <= 2; their common value
//    if they all agree to 1e-8).
// A is cov(phi_hat): by default lmerTest's, from the Hessian of the REML criterion in lme4's
// (theta, sigma) (Lme4VarparCovariance, lme4_varpar.h; at an interior optimum the inverse observed
// information in phi, from which it differs at a singular fit), or the inverse expected
// information.
#pragma once

#include <Eigen/Dense>

#include "inference/ddf/variance_pieces.h"

namespace lmm::inference::ddf {

struct HypothesisTest {
  double f = 0;   // F statistic (t^2 for one row)
  int numdf = 0;  // rank of L C L'
  double dendf = 0;
  double estimate = 0, std_error = 0;  // one-row tests: l'beta - c and its SE
};

double SatterthwaiteDf(const VariancePieces& pieces, const Eigen::MatrixXd& cov_phi,
                       const Eigen::VectorXd& l);

HypothesisTest SatterthwaiteTest(const VariancePieces& pieces, const Eigen::MatrixXd& cov_phi,
                                 const Eigen::VectorXd& beta, const Eigen::MatrixXd& l,
                                 const Eigen::VectorXd& rhs);

// lmerTest's get_Fstat_ddf.
double FaiCorneliusDendf(const Eigen::VectorXd& nu);

}  // namespace lmm::inference::ddf
