#include "inference/ddf/lme4_varpar.h"

#include <cmath>
#include <vector>

#include "inference/ddf/covariance_basis.h"
#include "inference/ddf/information_inverse.h"

namespace lmm::inference::ddf {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

// phi is linear in (Sigma_1, ..., Sigma_T, sigma^2): the values CovarianceBasis reads off.
VectorXd PhiOf(const ModelFrame& frame, const std::vector<MatrixXd>& sigma, double residual) {
  const std::vector<VarianceParameter> params = CovarianceBasis(frame, sigma, residual);
  VectorXd phi(static_cast<Eigen::Index>(params.size()));
  for (size_t k = 0; k < params.size(); ++k) phi(static_cast<Eigen::Index>(k)) = params[k].value;
  return phi;
}

// Every term's matrix zero except term t's.
std::vector<MatrixXd> Only(const ModelFrame& frame, int t, const MatrixXd& s) {
  std::vector<MatrixXd> out;
  for (const RandomEffectTerm& re : frame.random) out.push_back(MatrixXd::Zero(re.q(), re.q()));
  out[static_cast<size_t>(t)] = s;
  return out;
}

}  // namespace

std::optional<MatrixXd> Lme4VarparCovariance(const ModelFrame& frame, const ThetaLayout& layout,
                                             std::span<const double> theta, double sigma2,
                                             const VariancePieces& pieces) {
  const int num_terms = static_cast<int>(frame.random.size());
  for (int t = 0; t < num_terms; ++t) {
    const TermCovariance& tc = layout.term(t);
    const bool linear = tc.structure() == CovStructure::kUnstructured ||
                        (tc.structure() == CovStructure::kDiagonal && !tc.homogeneous());
    if (tc.q() > 1 && !linear) return std::nullopt;
  }
  const int m = pieces.m();
  const int nv = layout.size() + 1;  // theta, then sigma
  const double sigma = std::sqrt(sigma2);
  const VectorXd c = -2 * pieces.score;  // grad_phi of the REML deviance
  MatrixXd jac = MatrixXd::Zero(m, nv);
  MatrixXd second = MatrixXd::Zero(nv, nv);  // sum_k c_k d^2 phi_k / dv dv'
  std::vector<MatrixXd> relative;            // Sigma_t / sigma^2
  for (int t = 0; t < num_terms; ++t) {
    const TermCovariance& tc = layout.term(t);
    const std::span<const double> th = layout.TermTheta(theta, t);
    const MatrixXd lambda = tc.Lambda(th);
    relative.push_back(lambda * lambda.transpose());
    // Lambda is linear in theta here: dLambda/dtheta_a = Lambda(e_a).
    std::vector<MatrixXd> unit;
    for (int a = 0; a < tc.size(); ++a) {
      std::vector<double> e(static_cast<size_t>(tc.size()), 0.0);
      e[static_cast<size_t>(a)] = 1;
      unit.push_back(tc.Lambda(e));
    }
    const int off = layout.offset(t);
    for (int a = 0; a < tc.size(); ++a) {
      const MatrixXd d = unit[a] * lambda.transpose() + lambda * unit[a].transpose();
      jac.col(off + a) = sigma2 * PhiOf(frame, Only(frame, t, d), 0);
      // d^2 phi / dtheta_a dsigma = (2 / sigma) dphi / dtheta_a.
      second(off + a, nv - 1) = second(nv - 1, off + a) = 2 / sigma * c.dot(jac.col(off + a));
      for (int b = 0; b <= a; ++b) {
        const MatrixXd dd = unit[a] * unit[b].transpose() + unit[b] * unit[a].transpose();
        second(off + a, off + b) = second(off + b, off + a) =
            sigma2 * c.dot(PhiOf(frame, Only(frame, t, dd), 0));
      }
    }
  }
  jac.col(nv - 1) = 2 * sigma * PhiOf(frame, relative, 1);
  second(nv - 1, nv - 1) = c.dot(2 * PhiOf(frame, relative, 1));
  const MatrixXd hessian = jac.transpose() * (2 * pieces.observed_information) * jac + second;
  // 2 H_v^+ = (H_v / 2)^+, with the scaled pseudo-inverse of the information matrices.
  const MatrixXd cov_v = InverseInformation(0.5 * hessian);
  return jac * cov_v * jac.transpose();
}

}  // namespace lmm::inference::ddf
