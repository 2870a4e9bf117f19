// User hypotheses on the fixed effects, written with the coefficients' names:
//   "factor(drug)2 = factor(drug)3", "Days = 0", "a - b = 0", "2*a + b = 3", "a = 0, b = 0".
// Each comma-separated equation is one row of L beta = c. Names are matched longest first at each
// position, so names with parentheses, ':' or '^' need no quoting.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

namespace lmm::inference::ddf {

struct LinearHypothesis {
  std::string text;
  Eigen::MatrixXd l;    // rows x p
  Eigen::VectorXd rhs;  // rows
};

// Throws lmm::UsageError naming the text and the position of what does not parse, an unknown
// coefficient, an equation without coefficients, or rows that are linearly dependent.
LinearHypothesis ParseHypothesis(const std::string& text, const std::vector<std::string>& names);

}  // namespace lmm::inference::ddf
