// Seeded one-grouping-factor model frames for the kernel and GPU tests: X = [1, N(0,1) ...],
// Z_c = [1, N(0,1) ...] (q columns), y = X beta + Z b + e. Cluster sizes are drawn from
// [min_rows, max_rows]; `empty_levels` levels (the last ones) have no rows at all.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "lmm/model_frame.h"

namespace lmm::test {

struct SimulatedShape {
  int64_t clusters = 10;
  int q = 2;
  int p = 3;
  int min_rows = 1;
  int max_rows = 6;
  int64_t empty_levels = 0;
  uint64_t seed = 1;
};

inline ModelFrame SimulateOneTermFrame(const SimulatedShape& s) {
  std::mt19937_64 rng(s.seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<int> rows(s.min_rows, s.max_rows);
  ModelFrame f;
  f.formula = "simulated";
  f.response = "y";
  RandomEffectTerm t;
  t.group = "g";
  t.grouping_factor = "g";
  for (int k = 0; k < s.q; ++k) t.names.push_back(k == 0 ? "(Intercept)" : "z" + std::to_string(k));
  t.levels = s.clusters;
  std::vector<double> x, z, y;
  for (int64_t c = 0; c < s.clusters; ++c) {
    t.level_labels.push_back("c" + std::to_string(c));
    if (c >= s.clusters - s.empty_levels) continue;
    std::vector<double> b(s.q);
    for (int k = 0; k < s.q; ++k) b[k] = normal(rng) / (1 + k);
    const int m = rows(rng);
    for (int i = 0; i < m; ++i) {
      double yi = normal(rng);
      for (int j = 0; j < s.p; ++j) {
        const double v = j == 0 ? 1.0 : normal(rng);
        x.push_back(v);
        yi += v * (1.0 + j);
      }
      for (int k = 0; k < s.q; ++k) {
        const double v = k == 0 ? 1.0 : normal(rng);
        z.push_back(v);
        yi += v * b[k];
      }
      y.push_back(yi);
      t.level.push_back(static_cast<int32_t>(c));
    }
  }
  const int64_t n = static_cast<int64_t>(y.size());
  f.y = Eigen::Map<const Eigen::VectorXd>(y.data(), n);
  f.x = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      x.data(), n, s.p);
  t.z = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      z.data(), n, s.q);
  for (int j = 0; j < s.p; ++j)
    f.fixed_names.push_back(j == 0 ? "(Intercept)" : "x" + std::to_string(j));
  f.random.push_back(std::move(t));
  f.rows_read = f.rows_used = n;
  for (int64_t i = 0; i < n; ++i) f.used_rows.push_back(i);
  return f;
}

// Valid theta for the frame's (unstructured) term other than lme4's start: Lambda with diagonal
// `scale` (1 + k / 4) and off-diagonal 0.3 scale, in lme4's column-major lower-triangle order.
inline std::vector<double> UnstructuredTheta(int q, double scale) {
  std::vector<double> theta;
  for (int j = 0; j < q; ++j)
    for (int i = j; i < q; ++i) theta.push_back(i == j ? scale * (1.0 + i / 4.0) : 0.3 * scale);
  return theta;
}

}  // namespace lmm::test
