// Reference distributions for tests and intervals (Boost.Math), in the forms the tables need.
#pragma once

namespace lmm::inference {

double NormalQuantile(double p);              // Phi^{-1}(p)
double NormalTwoSidedP(double z);             // 2 (1 - Phi(|z|))
double ChiSquaredUpperP(double x, double df); // P(chi2_df > x); 1 for x <= 0
double TTwoSidedP(double t, double df);       // 2 P(T_df > |t|)
double TQuantile(double p, double df);

}  // namespace lmm::inference
