// The covariance parameter vector theta of a whole model: one TermCovariance per random-effect
// term, concatenated in lme4's term order (terms sorted by number of levels, decreasing, exactly
// as lme4's mkReTrms reorders them), which is also the block order of the blocked Cholesky.
#pragma once

#include <Eigen/Dense>
#include <span>
#include <string>
#include <vector>

#include "lmm/model_frame.h"
#include "design/block_structure.h"
#include "model/term_covariance.h"

namespace lmm {

class ThetaLayout {
 public:
  explicit ThetaLayout(const ModelFrame& frame);

  int size() const { return static_cast<int>(start_.size()); }
  int num_terms() const { return static_cast<int>(terms_.size()); }
  // order()[k] = ModelFrame term index of block k (block 0 has the most levels).
  const std::vector<int>& order() const { return order_; }
  // Parametrization and theta offset of ModelFrame term t.
  const TermCovariance& term(int t) const { return terms_[t]; }
  int offset(int t) const { return offset_[t]; }
  std::span<const double> TermTheta(std::span<const double> theta, int t) const {
    return theta.subspan(offset_[t], terms_[t].size());
  }

  const std::vector<double>& lower() const { return lower_; }
  const std::vector<double>& upper() const { return upper_; }
  const std::vector<double>& start() const { return start_; }
  // lme4's names (getME(fit, "theta")), in theta order.
  const std::vector<std::string>& names() const { return names_; }

  // Sigma_t / sigma^2 for every ModelFrame term.
  std::vector<Eigen::MatrixXd> RelativeCovariances(std::span<const double> theta) const;
  // lme4's isSingular(fit, tol): some term's covariance is at a singular boundary.
  bool IsSingular(std::span<const double> theta, double tol = 1e-4) const;

 private:
  std::vector<TermCovariance> terms_;
  std::vector<int> order_;
  std::vector<int> offset_;
  std::vector<double> lower_, upper_, start_;
  std::vector<std::string> names_;
};

// lme4's term order: design::Lme4TermOrder (design/block_structure.h).
using design::Lme4TermOrder;

}  // namespace lmm
