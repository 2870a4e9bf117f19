#include "inference/stata_metric.h"

#include <algorithm>
#include <cmath>

namespace lmm::inference {

StataMetric::StataMetric(const ThetaLayout& layout, const ModelFrame& frame) : layout_(layout) {
  for (int t = 0; t < static_cast<int>(frame.random.size()); ++t) {
    const TermCovariance& cov = layout.term(t);
    const int q = cov.q();
    const bool hom = q > 1 && cov.homogeneous() && cov.structure() != CovStructure::kUnstructured;
    int ncorr = 0;
    if (q > 1 && cov.structure() == CovStructure::kUnstructured) ncorr = q * (q - 1) / 2;
    if (q > 1 && cov.structure() == CovStructure::kCompoundSymmetry) ncorr = 1;
    q_.push_back(q);
    sd_start_.push_back(size_);
    num_sd_.push_back(hom ? 1 : q);
    size_ += num_sd_.back();
    corr_start_.push_back(ncorr > 0 ? size_ : -1);
    num_corr_.push_back(ncorr);
    size_ += ncorr;
  }
  ++size_;  // log sigma
}

int StataMetric::SdIndex(int t, int i) const {
  return sd_start_[t] + (num_sd_[t] == 1 ? 0 : i);
}

int StataMetric::CorrIndex(int t, int i, int j) const {
  if (corr_start_[t] < 0 || i == j) return -1;
  if (num_corr_[t] == 1) return corr_start_[t];
  if (i < j) std::swap(i, j);  // i > j: pair (i, j) in column-major lower-triangle order
  const int q = q_[t];
  int k = 0;
  for (int c = 0; c < j; ++c) k += q - 1 - c;
  return corr_start_[t] + k + (i - j - 1);
}

Eigen::VectorXd StataMetric::FromTheta(std::span<const double> theta, double sigma2) const {
  Eigen::VectorXd alpha(size_);
  const std::vector<Eigen::MatrixXd> rel = layout_.RelativeCovariances(theta);
  for (size_t t = 0; t < q_.size(); ++t) {
    const Eigen::MatrixXd sigma = rel[t] * sigma2;
    const int ti = static_cast<int>(t);
    for (int i = 0; i < q_[t]; ++i) alpha(SdIndex(ti, i)) = 0.5 * std::log(sigma(i, i));
    for (int j = 0; j < q_[t]; ++j)
      for (int i = j + 1; i < q_[t]; ++i) {
        const int k = CorrIndex(ti, i, j);
        if (k < 0) continue;
        const double denom = std::sqrt(sigma(i, i) * sigma(j, j));
        const double r = denom > 0 ? sigma(i, j) / denom : 0.0;
        alpha(k) = std::atanh(std::clamp(r, -1.0, 1.0));
      }
  }
  alpha(LogSigmaIndex()) = 0.5 * std::log(sigma2);
  return alpha;
}

Eigen::MatrixXd StataMetric::Covariance(const Eigen::VectorXd& alpha, int t) const {
  const int q = q_[t];
  Eigen::MatrixXd sigma(q, q);
  for (int j = 0; j < q; ++j)
    for (int i = 0; i < q; ++i) {
      const double sd_i = std::exp(alpha(SdIndex(t, i))), sd_j = std::exp(alpha(SdIndex(t, j)));
      const int k = CorrIndex(t, i, j);
      const double r = i == j ? 1.0 : (k < 0 ? 0.0 : std::tanh(alpha(k)));
      sigma(i, j) = r * sd_i * sd_j;
    }
  return sigma;
}

std::vector<double> StataMetric::ToTheta(const Eigen::VectorXd& alpha, double* sigma2) const {
  *sigma2 = std::exp(2.0 * alpha(LogSigmaIndex()));
  std::vector<double> theta(static_cast<size_t>(layout_.size()));
  for (size_t t = 0; t < q_.size(); ++t) {
    const int ti = static_cast<int>(t);
    const std::vector<double> part =
        layout_.term(ti).ThetaFromRelativeCovariance(Covariance(alpha, ti) / *sigma2);
    std::copy(part.begin(), part.end(), theta.begin() + layout_.offset(ti));
  }
  return theta;
}

}  // namespace lmm::inference
