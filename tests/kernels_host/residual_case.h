// Residual-structure test cases for the whitening tests (tests/kernels_host, tests/gpu): a model
// frame with its residual clusters and structure (reference data files or a seeded unbalanced
// design with gaps in time), parameter values, and the whitened frame formed exactly as
// ResidualEvaluator forms it (R_c, Eigen's LLT, L^{-1}, then Eigen's triangular product with the
// cluster's rows) -- the reference the GPU path's cross-products are compared with.
#pragma once

#include <Eigen/Dense>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels_host/simulated_frame.h"
#include "lmm/load.h"
#include "residual/clusters.h"
#include "residual/residual_spec.h"
#include "residual/residual_structure.h"

namespace lmm::test {

// Not movable once built: the structure refers to the clusters.
struct ResidualCase {
  std::string name;
  ModelFrame frame;
  std::vector<Column> columns;
  residual::ResidualSpec spec;
  residual::Clusters clusters;
  std::unique_ptr<residual::ResidualStructure> structure;
};

inline std::unique_ptr<ResidualCase> FinishCase(std::unique_ptr<ResidualCase> c,
                                                const std::string& spec) {
  c->spec = residual::ParseResidualSpec(spec);
  c->clusters = residual::BuildClusters(c->frame, c->spec, c->columns);
  c->structure = std::make_unique<residual::ResidualStructure>(c->spec, c->clusters);
  return c;
}

// `data`: a file of /work/shared/data; `keep`: the columns the spec names.
inline std::unique_ptr<ResidualCase> LoadResidualCase(const std::string& data,
                                                      const std::string& formula,
                                                      const std::string& spec,
                                                      const std::vector<std::string>& keep) {
  auto c = std::make_unique<ResidualCase>();
  c->name = data + ": " + formula + ", " + spec;
  const std::string path = std::string(LMM_SHARED_DIR) + "/data/" + data;
  LoadOptions lo;
  lo.data_path = path;
  lo.formula = formula;
  c->frame = LoadModel(lo).frame;
  CsvOptions co;
  co.keep = keep;
  c->columns = ReadCsv(path, co).columns;
  return FinishCase(std::move(c), spec);
}

// The reference-data cases every residual test starts from: ovary with AR(2) in time (nlme's
// ovary_ar2_reml fit) and orthodont with an unstructured covariance over age.
inline std::vector<std::unique_ptr<ResidualCase>> ReferenceResidualCases() {
  std::vector<std::unique_ptr<ResidualCase>> cases;
  cases.push_back(LoadResidualCase("ovary.csv", "follicles ~ sin1 + cos1 + (1 | Mare)",
                                   "ar(2, time = time)", {"time"}));
  cases.push_back(LoadResidualCase("orthodont.csv", "distance ~ age + Sex + (1 | Subject)",
                                   "unstructured(time = age)", {"age"}));
  return cases;
}

// SimulateOneTermFrame's design with a time column `t`: within each cluster distinct integer
// times with gaps of 1-3, written in decreasing order (so the clusters' time order is not the
// row order).
inline std::unique_ptr<ResidualCase> SimulatedResidualCase(const SimulatedShape& shape,
                                                           const std::string& spec) {
  auto c = std::make_unique<ResidualCase>();
  c->name = "simulated, " + spec;
  c->frame = SimulateOneTermFrame(shape);
  std::mt19937_64 rng(shape.seed + 17);
  std::uniform_int_distribution<int> gap(1, 3);
  Column t;
  t.name = "t";
  const int64_t n = c->frame.n();
  t.numbers.resize(static_cast<size_t>(n));
  t.missing.assign(static_cast<size_t>(n), 0);
  t.numeric_cells = n;
  const std::vector<int32_t>& level = c->frame.random[0].level;
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    while (j < n && level[j] == level[i]) ++j;
    double time = gap(rng);
    for (int64_t k = j - 1; k >= i; --k) {
      t.numbers[k] = time;
      time += gap(rng);
    }
    i = j;
  }
  c->columns.push_back(std::move(t));
  return FinishCase(std::move(c), spec);
}

// Parameter values away from the start (u = 0) and from each other: u_k = scale sin(k + 1.3).
inline std::vector<double> SomeU(const residual::ResidualStructure& s, double scale) {
  std::vector<double> u(static_cast<size_t>(s.size()));
  for (size_t k = 0; k < u.size(); ++k) u[k] = scale * std::sin(static_cast<double>(k) + 1.3);
  return u;
}

// The whitened frame of ResidualEvaluator::SetResidualParameters at the structure's prepared u,
// and sum_c log|R_c| in *logdet_r.
inline ModelFrame WhitenFrame(const ResidualCase& c, double* logdet_r) {
  const ModelFrame& f = c.frame;
  ModelFrame white = f;
  const int p = f.p();
  const int q = f.random[0].q();
  *logdet_r = 0;
  Eigen::MatrixXd r, block;
  for (int64_t k = 0; k < c.clusters.size(); ++k) {
    const int64_t begin = c.clusters.offsets[k];
    const int64_t m = c.clusters.offsets[k + 1] - begin;
    if (m == 0) continue;
    c.structure->ClusterCovariance(k, r);
    Eigen::LLT<Eigen::MatrixXd> llt(r);
    const Eigen::MatrixXd l = llt.matrixL();
    for (int64_t i = 0; i < m; ++i) *logdet_r += 2 * std::log(l(i, i));
    const Eigen::MatrixXd inverse =
        l.triangularView<Eigen::Lower>().solve(Eigen::MatrixXd::Identity(m, m));
    block.resize(m, 1 + p + q);
    for (int64_t i = 0; i < m; ++i) {
      const int64_t row = c.clusters.rows[begin + i];
      block(i, 0) = f.y(row);
      block.row(i).segment(1, p) = f.x.row(row);
      block.row(i).segment(1 + p, q) = f.random[0].z.row(row);
    }
    const Eigen::MatrixXd w = inverse.triangularView<Eigen::Lower>() * block;
    for (int64_t i = 0; i < m; ++i) {
      const int64_t row = c.clusters.rows[begin + i];
      white.y(row) = w(i, 0);
      white.x.row(row) = w.row(i).segment(1, p);
      white.random[0].z.row(row) = w.row(i).segment(1 + p, q);
    }
  }
  return white;
}

}  // namespace lmm::test
