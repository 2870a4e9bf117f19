#include "likelihood/objective.h"

#include <cmath>
#include <numbers>

namespace lmm {

double ProfiledObjective(double logdet_l, double logdet_rx, double pwrss, int64_t n, int p,
                         bool reml) {
  const double dof = static_cast<double>(reml ? n - p : n);
  const double fit = dof * (1.0 + std::log(2.0 * std::numbers::pi * pwrss / dof));
  return logdet_l + (reml ? logdet_rx : 0.0) + fit;
}

double ProfiledSigma2(double pwrss, int64_t n, int p, bool reml) {
  return pwrss / static_cast<double>(reml ? n - p : n);
}

}  // namespace lmm
