#include "likelihood/residual/residual_evaluator.h"

#include <cmath>
#include <map>

namespace lmm {

ResidualEvaluator::ResidualEvaluator(const ModelFrame& frame, const residual::Clusters& clusters,
                                     residual::ResidualStructure& structure,
                                     const EvaluatorOptions& options)
    : WhitenedEvaluator(frame),
      frame_(frame),
      clusters_(clusters),
      structure_(structure),
      options_(options) {
  white_.formula = frame.formula;
  white_.response = frame.response;
  white_.fixed_names = frame.fixed_names;
  white_.random = frame.random;  // levels kept; z overwritten per whitening
  white_.y = frame.y;
  white_.x = frame.x;
  // Patterns: (cluster by level, size, then per row its by level and its time relative to the
  // cluster's first time, or its time identifier for unstructured and banded).
  const bool identifiers = structure.spec().time_rule() == residual::TimeRule::kIdentifier;
  std::map<std::vector<double>, int32_t> patterns;
  std::vector<double> key;
  pattern_.resize(static_cast<size_t>(clusters.size()));
  for (int64_t c = 0; c < clusters.size(); ++c) {
    const int64_t begin = clusters.offsets[static_cast<size_t>(c)];
    const int64_t end = clusters.offsets[static_cast<size_t>(c) + 1];
    key.assign({static_cast<double>(clusters.cluster_by[static_cast<size_t>(c)]),
                static_cast<double>(end - begin)});
    for (int64_t e = begin; e < end; ++e) {
      key.push_back(clusters.by[static_cast<size_t>(e)]);
      key.push_back(identifiers ? clusters.time_id[static_cast<size_t>(e)]
                                : clusters.time[static_cast<size_t>(e)] -
                                      clusters.time[static_cast<size_t>(begin)]);
    }
    const auto [it, added] = patterns.emplace(key, static_cast<int32_t>(pattern_cluster_.size()));
    if (added) pattern_cluster_.push_back(c);
    pattern_[static_cast<size_t>(c)] = it->second;
  }
  pattern_inverse_.resize(pattern_cluster_.size());
  pattern_logdet_.resize(pattern_cluster_.size());
}

Status ResidualEvaluator::SetResidualParameters(std::span<const double> u) {
  u_.assign(u.begin(), u.end());
  whitened_ = false;
  structure_.Prepare(u);
  const int p = frame_.p();
  const size_t num_terms = frame_.random.size();
  Eigen::MatrixXd r, block, white;
  for (size_t k = 0; k < pattern_cluster_.size(); ++k) {
    structure_.ClusterCovariance(pattern_cluster_[k], r);
    const Eigen::Index m = r.rows();
    Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(r);
    if (llt.info() != Eigen::Success)
      return Status::Error(Status::Code::kNotPositiveDefinite,
                           "residual covariance of a cluster is not positive definite",
                           pattern_cluster_[k]);
    double logdet = 0;
    for (Eigen::Index i = 0; i < m; ++i) logdet += 2 * std::log(r(i, i));
    pattern_logdet_[k] = logdet;
    pattern_inverse_[k] = Eigen::MatrixXd::Identity(m, m);
    r.triangularView<Eigen::Lower>().solveInPlace(pattern_inverse_[k]);
  }
  double logdet = 0;
  for (int64_t c = 0; c < clusters_.size(); ++c) {
    const int64_t begin = clusters_.offsets[static_cast<size_t>(c)];
    const int64_t m = clusters_.offsets[static_cast<size_t>(c) + 1] - begin;
    if (m == 0) continue;
    const auto k = static_cast<size_t>(pattern_[static_cast<size_t>(c)]);
    logdet += pattern_logdet_[k];
    // Gather the cluster's rows of [y X z_1 .. z_k], solve L B = block, scatter.
    int cols = 1 + p;
    for (const RandomEffectTerm& t : frame_.random) cols += t.q();
    block.resize(m, cols);
    for (int64_t i = 0; i < m; ++i) {
      const int64_t row = clusters_.rows[static_cast<size_t>(begin + i)];
      block(i, 0) = frame_.y(row);
      block.row(i).segment(1, p) = frame_.x.row(row);
      int off = 1 + p;
      for (size_t t = 0; t < num_terms; ++t) {
        const int q = frame_.random[t].q();
        block.row(i).segment(off, q) = frame_.random[t].z.row(row);
        off += q;
      }
    }
    white.noalias() = pattern_inverse_[k].triangularView<Eigen::Lower>() * block;
    block.swap(white);
    for (int64_t i = 0; i < m; ++i) {
      const int64_t row = clusters_.rows[static_cast<size_t>(begin + i)];
      white_.y(row) = block(i, 0);
      white_.x.row(row) = block.row(i).segment(1, p);
      int off = 1 + p;
      for (size_t t = 0; t < num_terms; ++t) {
        const int q = frame_.random[t].q();
        white_.random[t].z.row(row) = block.row(i).segment(off, q);
        off += q;
      }
    }
  }
  logdet_r_ = logdet;
  inner_ = std::make_unique<CpuEvaluator>(white_, options_);
  whitened_ = true;
  return Status::Ok();
}

Status ResidualEvaluator::Update(std::span<const double> theta) {
  if (!whitened_)
    return Status::Error(Status::Code::kInvalidArgument,
                         "residual parameters not set or not positive definite");
  const Status s = inner_->Update(theta);
  if (!s.ok()) return s;
  pwrss_ = inner_->pwrss();
  logdet_l_ = inner_->logdet_l() + logdet_r_;
  logdet_rx_ = inner_->logdet_rx();
  beta_ = inner_->beta();
  rx_ = inner_->rx();
  return s;
}

Eigen::MatrixXd ResidualEvaluator::ConditionalModes(int t) const {
  return inner_->ConditionalModes(t);
}

Eigen::MatrixXd ResidualEvaluator::ConditionalVariances(int t, double sigma2) const {
  return inner_->ConditionalVariances(t, sigma2);
}

}  // namespace lmm
