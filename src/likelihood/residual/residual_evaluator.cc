#include "likelihood/residual/residual_evaluator.h"

#include <cmath>

namespace lmm {

ResidualEvaluator::ResidualEvaluator(const ModelFrame& frame, const residual::Clusters& clusters,
                                     residual::ResidualStructure& structure,
                                     const EvaluatorOptions& options)
    : Evaluator(frame),
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
}

Status ResidualEvaluator::SetResidualParameters(std::span<const double> u) {
  u_.assign(u.begin(), u.end());
  whitened_ = false;
  structure_.Prepare(u);
  const int p = frame_.p();
  const size_t num_terms = frame_.random.size();
  Eigen::MatrixXd r, block;
  double logdet = 0;
  for (int64_t c = 0; c < clusters_.size(); ++c) {
    const int64_t begin = clusters_.offsets[static_cast<size_t>(c)];
    const int64_t m = clusters_.offsets[static_cast<size_t>(c) + 1] - begin;
    if (m == 0) continue;
    structure_.ClusterCovariance(c, r);
    Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(r);
    if (llt.info() != Eigen::Success)
      return Status::Error(Status::Code::kNotPositiveDefinite,
                           "residual covariance of a cluster is not positive definite", c);
    for (int64_t i = 0; i < m; ++i) logdet += 2 * std::log(r(i, i));
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
    r.triangularView<Eigen::Lower>().solveInPlace(block);
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
