#include "inference/distributions.h"

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>

namespace lmm::inference {

double NormalQuantile(double p) { return boost::math::quantile(boost::math::normal(), p); }

double NormalTwoSidedP(double z) {
  if (std::isnan(z)) return z;
  return 2.0 * boost::math::cdf(boost::math::complement(boost::math::normal(), std::abs(z)));
}

double ChiSquaredUpperP(double x, double df) {
  if (std::isnan(x)) return x;
  if (x <= 0) return 1.0;
  return boost::math::cdf(boost::math::complement(boost::math::chi_squared(df), x));
}

double TTwoSidedP(double t, double df) {
  if (std::isnan(t) || std::isnan(df)) return std::nan("");
  return 2.0 * boost::math::cdf(boost::math::complement(boost::math::students_t(df), std::abs(t)));
}

double TQuantile(double p, double df) {
  return boost::math::quantile(boost::math::students_t(df), p);
}

}  // namespace lmm::inference
