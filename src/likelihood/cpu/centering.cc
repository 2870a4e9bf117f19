#include "likelihood/cpu/centering.h"

#include <vector>

#include "likelihood/cpu/thread_pool.h"

namespace lmm::cpu {

double LongDoubleMean(const double* v, int64_t n) {
  long double s = 0;
  for (int64_t i = 0; i < n; ++i) s += v[i];
  return static_cast<double>(s / n);
}

CenteringInfo MakeCentering(const ModelFrame& frame, ThreadPool* pool) {
  CenteringInfo c;
  const int64_t n = frame.n();
  const int p = frame.p();
  c.x_shift = Eigen::VectorXd::Zero(p);
  if (p == 0 || frame.x(0, 0) == 0.0) return c;
  for (int64_t i = 1; i < n; ++i)
    if (frame.x(i, 0) != frame.x(0, 0)) return c;
  c.centered = true;
  c.intercept = frame.x(0, 0);
  std::vector<double> mean(p + 1, 0.0);  // columns 1..p-1 of X, then y at p
  auto column_mean = [&](int64_t j) {
    if (j == 0) return;
    mean[j] = LongDoubleMean(j < p ? frame.x.col(j).data() : frame.y.data(), n);
  };
  if (pool != nullptr) {
    pool->ParallelFor(p + 1, column_mean);
  } else {
    for (int j = 0; j <= p; ++j) column_mean(j);
  }
  for (int j = 1; j < p; ++j) c.x_shift(j) = mean[j];
  c.y_shift = mean[p];
  return c;
}

}  // namespace lmm::cpu
