#include "inference/ddf/f_distribution.h"

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/fisher_f.hpp>
#include <cmath>
#include <limits>

namespace lmm::inference::ddf {

double FUpperP(double f, double numdf, double dendf) {
  if (!(numdf > 0) || std::isnan(f) || std::isnan(dendf) || !(dendf > 0))
    return std::numeric_limits<double>::quiet_NaN();
  if (f <= 0) return 1;
  if (std::isinf(f)) return 0;
  if (std::isinf(dendf))
    return boost::math::cdf(boost::math::complement(boost::math::chi_squared(numdf), numdf * f));
  return boost::math::cdf(boost::math::complement(boost::math::fisher_f(numdf, dendf), f));
}

}  // namespace lmm::inference::ddf
