// The profiled objective of a linear mixed model from the blocked Cholesky factor's summaries
// [Bates, Maechler, Bolker & Walker 2015, J. Stat. Softw. 67(1), eqs. 34 and 41]:
//   ML deviance     -2 l(theta)   = log|L|^2 + n (1 + log(2 pi pwrss / n))
//   REML criterion  -2 l_R(theta) = log|L|^2 + log|R_X|^2 + (n - p)(1 + log(2 pi pwrss / (n - p)))
// where log|L|^2 = 2 sum log diag(L_ZZ), log|R_X|^2 = 2 sum log |diag(R_X)| and pwrss = r^2.
#pragma once

#include <cstdint>

namespace lmm {

double ProfiledObjective(double logdet_l, double logdet_rx, double pwrss, int64_t n, int p,
                         bool reml);

// The profiled residual variance: pwrss / n (ML) or pwrss / (n - p) (REML).
double ProfiledSigma2(double pwrss, int64_t n, int p, bool reml);

}  // namespace lmm
