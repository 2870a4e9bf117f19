// Upper tail of the F distribution (Boost.Math), for the DDF tests.
#pragma once

namespace lmm::inference::ddf {

// P(F(numdf, dendf) > f); dendf = +inf gives the chi2(numdf)/numdf limit. 1 for f <= 0.
double FUpperP(double f, double numdf, double dendf);

}  // namespace lmm::inference::ddf
