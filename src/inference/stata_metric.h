// Stata's metric for the variance parameters (mixed, Methods and formulas): per random-effect term
// the log standard deviations and the inverse hyperbolic tangents of the correlations, then
// log(sigma_e). Every component lies on the whole real line, which makes the observed-information
// standard errors and back-transformed intervals well behaved.
#pragma once

#include <Eigen/Dense>
#include <span>
#include <vector>

#include "lmm/model_frame.h"
#include "model/theta_layout.h"

namespace lmm::inference {

class StataMetric {
 public:
  StataMetric(const ThetaLayout& layout, const ModelFrame& frame);

  // Number of parameters: the terms' (log SD, atanh correlation) parameters, then log sigma.
  int size() const { return size_; }

  // Indices into alpha of term t's log SD of column i, and of its correlation between columns
  // i != j (-1 when the structure has no correlations).
  int SdIndex(int t, int i) const;
  int CorrIndex(int t, int i, int j) const;
  int LogSigmaIndex() const { return size_ - 1; }

  // alpha from the profiled estimates (theta, sigma^2). A zero SD gives -inf.
  Eigen::VectorXd FromTheta(std::span<const double> theta, double sigma2) const;
  // Absolute covariance matrix of term t (Sigma_t) from alpha.
  Eigen::MatrixXd Covariance(const Eigen::VectorXd& alpha, int t) const;
  // theta and sigma^2 from alpha.
  std::vector<double> ToTheta(const Eigen::VectorXd& alpha, double* sigma2) const;

 private:
  const ThetaLayout& layout_;
  std::vector<int> q_;
  std::vector<int> sd_start_;    // first log-SD index of each term
  std::vector<int> num_sd_;      // q, or 1 when homogeneous
  std::vector<int> corr_start_;  // first correlation index, or -1
  std::vector<int> num_corr_;    // q(q-1)/2 (unstructured), 1 (cs), 0
  int size_ = 0;
};

}  // namespace lmm::inference
