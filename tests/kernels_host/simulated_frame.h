// Seeded one-grouping-factor model frames for the kernel and GPU tests: X = [1, N(0,1) ...],
// Z_c = [1, N(0,1) ...] (q columns), y = X beta + Z b + e. Cluster sizes are drawn from
// [min_rows, max_rows]; `empty_levels` levels (the last ones) have no rows at all.
#pragma once

#include <algorithm>
#include <cmath>
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

// Seeded crossed model frames for the multi-term tests: `rows` observations, each at a uniformly
// drawn level of every term (so the terms are crossed, partially, as users and items are), term k
// with terms[k].q columns [1, N(0,1) ...]; X = [1, N(0,1) ...] (p columns). A level that draws no
// row is empty. With `nest`, term k > 0's level is derived from term 0's (level(0) mod levels_k):
// nested rather than crossed.
struct CrossedShape {
  struct Term {
    int64_t levels = 10;
    int q = 1;
  };
  std::vector<Term> terms = {{50, 1}, {20, 1}};
  int64_t rows = 500;
  int p = 2;
  bool nest = false;
  uint64_t seed = 1;
};

inline ModelFrame SimulateCrossedFrame(const CrossedShape& s) {
  std::mt19937_64 rng(s.seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  ModelFrame f;
  f.formula = "simulated crossed";
  f.response = "y";
  const int64_t n = s.rows;
  f.x.resize(n, s.p);
  f.y.resize(n);
  for (size_t k = 0; k < s.terms.size(); ++k) {
    RandomEffectTerm t;
    t.group = "g" + std::to_string(k);
    t.grouping_factor = t.group;
    for (int e = 0; e < s.terms[k].q; ++e)
      t.names.push_back(e == 0 ? "(Intercept)" : "z" + std::to_string(e));
    t.levels = s.terms[k].levels;
    for (int64_t l = 0; l < t.levels; ++l) t.level_labels.push_back("l" + std::to_string(l));
    t.level.resize(n);
    t.z.resize(n, s.terms[k].q);
    f.random.push_back(std::move(t));
  }
  for (int64_t i = 0; i < n; ++i) {
    double yi = normal(rng);
    for (int j = 0; j < s.p; ++j) {
      f.x(i, j) = j == 0 ? 1.0 : normal(rng);
      yi += f.x(i, j) * (1.0 + j);
    }
    for (size_t k = 0; k < f.random.size(); ++k) {
      RandomEffectTerm& t = f.random[k];
      std::uniform_int_distribution<int64_t> pick(0, t.levels - 1);
      const int64_t level = s.nest && k > 0 ? f.random[0].level[i] % t.levels : pick(rng);
      t.level[i] = static_cast<int32_t>(level);
      for (int e = 0; e < t.q(); ++e) {
        t.z(i, e) = e == 0 ? 1.0 : normal(rng);
        yi += t.z(i, e) * 0.5 * std::sin(static_cast<double>(level + e + k));
      }
    }
    f.y(i) = yi;
  }
  for (int j = 0; j < s.p; ++j)
    f.fixed_names.push_back(j == 0 ? "(Intercept)" : "x" + std::to_string(j));
  f.rows_read = f.rows_used = n;
  for (int64_t i = 0; i < n; ++i) f.used_rows.push_back(i);
  return f;
}

// A one-term frame with its rows permuted at random (std::shuffle with mt19937_64(seed)), so that
// consecutive rows belong to different clusters: the device one-time pass's general input.
inline ModelFrame ShuffleRows(const ModelFrame& f, uint64_t seed) {
  const int64_t n = f.n();
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  ModelFrame s = f;
  for (int64_t i = 0; i < n; ++i) {
    s.y(i) = f.y(order[i]);
    s.x.row(i) = f.x.row(order[i]);
    s.random[0].z.row(i) = f.random[0].z.row(order[i]);
    s.random[0].level[i] = f.random[0].level[order[i]];
  }
  return s;
}

// SimulateOneTermFrame of that shape (two empty levels when clusters > 2) with ShuffleRows(seed +
// 1): the row-pass tests' frames.
inline ModelFrame SimulateShuffledFrame(int64_t clusters, int q, int p, int min_rows, int max_rows,
                                        uint64_t seed) {
  SimulatedShape shape;
  shape.clusters = clusters;
  shape.q = q;
  shape.p = p;
  shape.min_rows = min_rows;
  shape.max_rows = max_rows;
  shape.empty_levels = clusters > 2 ? 2 : 0;
  shape.seed = seed;
  return ShuffleRows(SimulateOneTermFrame(shape), seed + 1);
}

}  // namespace lmm::test
