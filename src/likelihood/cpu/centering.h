// Centering of the fixed effects (DESIGN.md sec. 4): when X's first column is constant and nonzero
// (an intercept), the other columns of X and y are shifted by their means before any
// cross-products are formed. This is the unit-triangular change of basis X_c = X M, which leaves
// |R_X|, pwrss and hence the objective unchanged; beta and R_X are mapped back with the shifts.
//
// Every backend (CPU cross-products, the GPU one-time passes, the GPU residual path) takes its
// centers from here, so they agree to the bit: each mean is summed in row order in long double
// and rounded once to double.
#pragma once

#include <Eigen/Dense>
#include <cstdint>

#include "lmm/model_frame.h"

namespace lmm::cpu {

class ThreadPool;

struct CenteringInfo {
  bool centered = false;
  Eigen::VectorXd x_shift;  // p values subtracted from X's columns (0 for column 0)
  double y_shift = 0;       // subtracted from y
  double intercept = 1;     // the constant value of X's column 0
};

// (v[0] + ... + v[n-1]) / n, summed in index order in long double, rounded to double. n > 0.
double LongDoubleMean(const double* v, int64_t n);

// The centering of `frame`: with a constant nonzero first column of X, centered, that column's
// value, and the means of X's other columns and of y (LongDoubleMean); otherwise not centered
// and all shifts zero. `pool` (optional) takes one column per task; each mean is still summed in
// row order, so the result does not depend on it.
CenteringInfo MakeCentering(const ModelFrame& frame, ThreadPool* pool = nullptr);

}  // namespace lmm::cpu
