// Parametrization of one random-effect term's relative covariance factor Lambda_t (q x q, lower
// triangular): Sigma_t / sigma^2 = Lambda_t Lambda_t'. Bounds and start values follow lme4
// (mkReTrms) and lme4 >= 2.0's diag()/cs() wrappers.
#pragma once

#include <Eigen/Dense>
#include <span>
#include <string>
#include <vector>

#include "lmm/formula.h"

namespace lmm {

class TermCovariance {
 public:
  // q >= 1. For q == 1 every structure has one parameter (the relative standard deviation).
  TermCovariance(int q, CovStructure structure, bool homogeneous);

  int q() const { return q_; }
  int size() const { return static_cast<int>(start_.size()); }
  CovStructure structure() const { return structure_; }
  bool homogeneous() const { return homogeneous_; }
  const std::vector<double>& lower() const { return lower_; }
  const std::vector<double>& upper() const { return upper_; }
  const std::vector<double>& start() const { return start_; }

  // Writes Lambda (all q x q entries, zeros above the diagonal) at column-major `lambda` with
  // leading dimension q. theta has size() entries. Does not allocate.
  //  unstructured: theta = lower triangle of Lambda in column-major order (lme4's order);
  //  diagonal: Lambda = diag(theta); homogeneous diagonal: Lambda = theta[0] I;
  //  compound symmetry: theta = (s_1..s_q, rho) (homogeneous: (s, rho)), Lambda = chol(D R D)
  //  with D = diag(s), R = (1 - rho) I + rho 11'.
  void FillLambda(std::span<const double> theta, double* lambda) const;
  Eigen::MatrixXd Lambda(std::span<const double> theta) const;

  // Sigma_t / sigma^2 = Lambda Lambda'.
  Eigen::MatrixXd RelativeCovariance(std::span<const double> theta) const;
  // Inverse of RelativeCovariance for matrices this structure can represent (for unstructured:
  // the Cholesky factor; for the others: standard deviations and the mean correlation).
  std::vector<double> ThetaFromRelativeCovariance(const Eigen::MatrixXd& sigma) const;

  // Names of the parameters as lme4's getME(, "theta") writes them, for group `group` and term
  // columns `columns`: "g.(Intercept)", "g.Days.(Intercept)", ...; cs: "g.sd.x", "g.rho".
  std::vector<std::string> Names(const std::string& group,
                                 const std::vector<std::string>& columns) const;

  // lme4's isSingular: a parameter whose lower bound is finite (a standard deviation or a
  // diagonal element of Lambda, or a correlation of cs()) lies within `tol` of a bound at which
  // the covariance matrix is singular.
  bool AtSingularBoundary(std::span<const double> theta, double tol) const;

 private:
  int q_;
  CovStructure structure_;
  bool homogeneous_;
  std::vector<double> lower_, upper_, start_;
};

}  // namespace lmm
