// Host side of the GPU path for residual structures: which models it takes, the residual rows in
// the device layout (kernels::WhitenView), the per-pattern factors that go down per
// SetResidualParameters, and the host reference of the whitening pass (the same whiten_math.h
// functions, summed in cluster order), which the CPU tests compare with the CPU evaluator.
// Plain C++ (no CUDA): usable from builds without CUDA.
#pragma once

#include <Eigen/Dense>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "likelihood/cpu/cross_products.h"
#include "likelihood/gpu/cluster_pack.h"
#include "likelihood/status.h"
#include "lmm/model_frame.h"
#include "residual/clusters.h"
#include "residual/residual_structure.h"
#include "whiten_math.h"

namespace lmm::gpu {

// Empty when the residual GPU path takes the model, else why not: one random-effect term (at most
// kMaxClusterQ columns, p + 1 <= kMaxClusterW) whose levels are exactly the residual clusters.
inline std::string ResidualGpuUnsupportedReason(const ModelFrame& frame,
                                                const residual::Clusters& clusters) {
  if (frame.random.size() != 1)
    return "the GPU path for residual structures takes one random-effect term; the model has " +
           std::to_string(frame.random.size());
  const RandomEffectTerm& t = frame.random[0];
  if (t.q() > kernels::kMaxClusterQ)
    return "the term for " + t.group + " has " + std::to_string(t.q()) + " columns; at most " +
           std::to_string(kernels::kMaxClusterQ);
  if (frame.p() + 1 > kernels::kMaxClusterW)
    return "the model has " + std::to_string(frame.p()) + " fixed effects; at most " +
           std::to_string(kernels::kMaxClusterW - 1);
  if (clusters.max_size > kernels::kMaxWhitenRows)
    return "a residual cluster has " + std::to_string(clusters.max_size) + " rows; at most " +
           std::to_string(kernels::kMaxWhitenRows);
  if (clusters.size() != t.levels)
    return "the residual clusters (" + clusters.factor + ") are not the levels of " + t.group;
  std::vector<int64_t> cluster_of_level(static_cast<size_t>(t.levels), -1);
  for (int64_t c = 0; c < clusters.size(); ++c)
    for (int64_t e = clusters.offsets[c]; e < clusters.offsets[c + 1]; ++e) {
      int64_t& k = cluster_of_level[static_cast<size_t>(t.level[clusters.rows[e]])];
      if (k >= 0 && k != c)
        return "the residual clusters (" + clusters.factor + ") are not the levels of " + t.group;
      k = c;
    }
  return "";
}

// Covariance patterns: R_c depends on cluster c only through (its by level, its size, and per
// entry its by level and its time relative to the cluster's first, or its time identifier for
// unstructured and banded) -- the key ResidualEvaluator uses. Numbered in order of first
// appearance in the Clusters order.
struct ResidualPatterns {
  std::vector<int32_t> of_cluster;      // Clusters order
  std::vector<int64_t> representative;  // per pattern: a cluster that has it
  std::vector<int> size;                // per pattern: rows of its clusters
};

inline ResidualPatterns FindPatterns(const residual::Clusters& clusters,
                                     const residual::ResidualStructure& structure) {
  const bool identifiers = structure.spec().time_rule() == residual::TimeRule::kIdentifier;
  ResidualPatterns out;
  std::map<std::vector<double>, int32_t> seen;
  std::vector<double> key;
  out.of_cluster.resize(static_cast<size_t>(clusters.size()));
  for (int64_t c = 0; c < clusters.size(); ++c) {
    const int64_t begin = clusters.offsets[c], end = clusters.offsets[c + 1];
    key.assign({static_cast<double>(clusters.cluster_by[c]), static_cast<double>(end - begin)});
    for (int64_t e = begin; e < end; ++e) {
      key.push_back(clusters.by[e]);
      key.push_back(identifiers ? clusters.time_id[e] : clusters.time[e] - clusters.time[begin]);
    }
    const auto [it, added] = seen.emplace(key, static_cast<int32_t>(out.representative.size()));
    if (added) {
      out.representative.push_back(c);
      out.size.push_back(static_cast<int>(end - begin));
    }
    out.of_cluster[c] = it->second;
  }
  return out;
}

// The residual rows in the device layout, clusters in level order (see kernels::WhitenView).
struct HostResidualRows {
  int64_t clusters = 0;
  int64_t entries = 0;
  int q = 0;
  int w = 0;
  std::vector<double> rows;             // entries x (q + w), column-major
  std::vector<int64_t> offsets;         // clusters + 1
  std::vector<int32_t> pattern;         // per cluster (level order)
  std::vector<int64_t> inverse_offset;  // per pattern
  int64_t inverse_entries = 0;          // sum over patterns of PackedSize(m)

  kernels::WhitenView view(const double* inverses, const double* shift) const {
    return {
        clusters, entries, q, w, rows.data(), offsets.data(), pattern.data(), inverse_offset.data(),
        inverses, shift};
  }
};

// Requires ResidualGpuUnsupportedReason(frame, clusters) to be empty.
inline HostResidualRows PackResidualRows(const ModelFrame& frame,
                                         const residual::Clusters& clusters,
                                         const ResidualPatterns& patterns) {
  const RandomEffectTerm& t = frame.random[0];
  HostResidualRows h;
  h.clusters = t.levels;
  h.entries = static_cast<int64_t>(clusters.rows.size());
  h.q = t.q();
  h.w = frame.p() + 1;
  const int q = h.q, p = frame.p();
  std::vector<int64_t> cluster_of_level(static_cast<size_t>(h.clusters), -1);
  for (int64_t c = 0; c < clusters.size(); ++c)
    if (clusters.offsets[c + 1] > clusters.offsets[c])
      cluster_of_level[t.level[clusters.rows[clusters.offsets[c]]]] = c;
  h.rows.resize(static_cast<size_t>(h.entries * (q + h.w)));
  h.offsets.assign(1, 0);
  h.pattern.assign(static_cast<size_t>(h.clusters), 0);
  const int64_t n = h.entries;
  int64_t e = 0;
  for (int64_t l = 0; l < h.clusters; ++l) {
    const int64_t c = cluster_of_level[l];
    if (c >= 0) {
      h.pattern[l] = patterns.of_cluster[c];
      for (int64_t k = clusters.offsets[c]; k < clusters.offsets[c + 1]; ++k, ++e) {
        const int64_t row = clusters.rows[k];
        for (int j = 0; j < q; ++j) h.rows[j * n + e] = t.z(row, j);
        for (int j = 0; j < p; ++j) h.rows[(q + j) * n + e] = frame.x(row, j);
        h.rows[(q + p) * n + e] = frame.y(row);
      }
    }
    h.offsets.push_back(e);
  }
  for (int m : patterns.size) {
    h.inverse_offset.push_back(h.inverse_entries);
    h.inverse_entries += kernels::PackedSize(m);
  }
  return h;
}

// Per-pattern factors at one u: L^{-1} packed (HostResidualRows::inverse_offset), log|R|, and
// whether every L^{-1} is exactly the identity (the whitened frame is then the original one).
struct PatternFactors {
  std::vector<double> inverses;
  std::vector<double> logdet;
  bool identity = true;
};

// structure.Prepare(u) must have been called. The same steps as ResidualEvaluator (R_c, Eigen's
// in-place LLT, log|R| from its diagonal, L^{-1} by a triangular solve of the identity), so both
// paths whiten with the same numbers. Not positive definite: kNotPositiveDefinite, the cluster
// as index.
inline Status FactorPatterns(const residual::ResidualStructure& structure,
                             const ResidualPatterns& patterns, const HostResidualRows& rows,
                             PatternFactors* out) {
  out->inverses.resize(static_cast<size_t>(rows.inverse_entries));
  out->logdet.resize(patterns.representative.size());
  out->identity = true;
  Eigen::MatrixXd r, inverse;
  for (size_t k = 0; k < patterns.representative.size(); ++k) {
    structure.ClusterCovariance(patterns.representative[k], r);
    const Eigen::Index m = r.rows();
    Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(r);
    if (llt.info() != Eigen::Success)
      return Status::Error(Status::Code::kNotPositiveDefinite,
                           "residual covariance of a cluster is not positive definite",
                           patterns.representative[k]);
    double logdet = 0;
    for (Eigen::Index i = 0; i < m; ++i) logdet += 2 * std::log(r(i, i));
    out->logdet[k] = logdet;
    inverse = Eigen::MatrixXd::Identity(m, m);
    r.triangularView<Eigen::Lower>().solveInPlace(inverse);
    double* packed = out->inverses.data() + rows.inverse_offset[k];
    for (Eigen::Index i = 0; i < m; ++i)
      for (Eigen::Index j = 0; j <= i; ++j) {
        packed[kernels::PackedIndex(static_cast<int>(i), static_cast<int>(j))] = inverse(i, j);
        if (inverse(i, j) != (i == j ? 1.0 : 0.0)) out->identity = false;
      }
  }
  return Status::Ok();
}

// sum_c log|R_c| over nonempty clusters in the Clusters order (ResidualEvaluator's order).
inline double SumLogdetR(const residual::Clusters& clusters, const ResidualPatterns& patterns,
                         const PatternFactors& factors) {
  double s = 0;
  for (int64_t c = 0; c < clusters.size(); ++c)
    if (clusters.offsets[c + 1] > clusters.offsets[c]) s += factors.logdet[patterns.of_cluster[c]];
  return s;
}

// The centering cpu::BuildCrossProducts applies to `frame` itself (X's first column constant and
// nonzero: the other columns and y shifted by their long double means), which is the CPU's
// centering of the whitened frame when every L^{-1} is the identity. Otherwise the whitened
// intercept is not constant and the CPU does not center (Uncentered).
inline cpu::CenteringInfo OriginalCentering(const ModelFrame& frame) {
  return cpu::MakeCentering(frame);
}

inline cpu::CenteringInfo Uncentered(int p) {
  cpu::CenteringInfo c;
  c.x_shift = Eigen::VectorXd::Zero(p);
  return c;
}

// The w values WhitenView::shift holds for a centering.
inline std::vector<double> ShiftOf(const cpu::CenteringInfo& c) {
  std::vector<double> s(c.x_shift.data(), c.x_shift.data() + c.x_shift.size());
  s.push_back(c.y_shift);
  return s;
}

// What one whitening pass produces: D_c and G_c in the ClusterView layout and sum_c A_c.
struct WhitenedClusters {
  HostClusters clusters;
  std::vector<double> a;  // PackedSize(w): [X~ y~]'[X~ y~]
};

// The host reference of the kernels' whitening pass: WhitenCluster per cluster, A summed in
// cluster order.
inline WhitenedClusters HostWhitenPass(const kernels::WhitenView& v) {
  using namespace kernels;
  WhitenedClusters out;
  HostClusters& h = out.clusters;
  h.clusters = v.clusters;
  h.q = v.q;
  h.w = v.w;
  h.d.resize(static_cast<size_t>(PackedSize(v.q) * v.clusters));
  h.panel.resize(static_cast<size_t>(v.w * v.q * v.clusters));
  out.a.assign(static_cast<size_t>(PackedSize(v.w)), 0.0);
  double d[kMaxClusterQ * (kMaxClusterQ + 1) / 2], panel[kMaxClusterW * kMaxClusterQ];
  double a[kMaxClusterW * (kMaxClusterW + 1) / 2];
  for (int64_t c = 0; c < v.clusters; ++c) {
    WhitenCluster(v, c, d, panel, a);
    StoreCluster(v.clusters, v.q, v.w, c, d, panel, h.d.data(), h.panel.data());
    for (int e = 0; e < PackedSize(v.w); ++e) out.a[e] += a[e];
  }
  return out;
}

// The (p+1) x (p+1) symmetric [X~ y~]'[X~ y~] from its packed lower triangle, in the storage the
// one-term finish reads (cpu::CrossProducts with one term: m = p + 1, cp.a).
inline Eigen::MatrixXd UnpackSymmetric(const std::vector<double>& packed, int w) {
  Eigen::MatrixXd a(w, w);
  for (int i = 0; i < w; ++i)
    for (int j = 0; j <= i; ++j) a(i, j) = a(j, i) = packed[kernels::PackedIndex(i, j)];
  return a;
}

// Device memory of the residual GPU evaluator in bytes, beyond ClusterDeviceBytes: the rows, the
// per-cluster offsets and patterns, the per-pattern inverses and offsets, the shift.
inline int64_t WhitenDeviceBytes(const HostResidualRows& h, int64_t patterns) {
  return h.entries * (h.q + h.w) * 8 + (h.clusters + 1) * 8 + h.clusters * 4 + patterns * 8 +
         h.inverse_entries * 8 + h.w * 8 + 4096;
}

}  // namespace lmm::gpu
