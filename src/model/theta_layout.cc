#include "model/theta_layout.h"

#include "design/block_structure.h"

#include <algorithm>
#include <numeric>

#include "lmm/error.h"

namespace lmm {

ThetaLayout::ThetaLayout(const ModelFrame& frame) {
  const int k = static_cast<int>(frame.random.size());
  if (k == 0) throw UsageError("model: the formula has no random-effect term");
  std::vector<int64_t> levels;
  for (const RandomEffectTerm& t : frame.random) {
    if (t.q() < 1) throw UsageError("model: random-effect term for " + t.group + " has no columns");
    terms_.emplace_back(t.q(), t.structure, t.homogeneous);
    levels.push_back(t.levels);
  }
  order_ = design::Lme4TermOrder(levels);
  offset_.assign(k, 0);
  for (int b = 0; b < k; ++b) {
    const int t = order_[b];
    const TermCovariance& c = terms_[t];
    offset_[t] = size();
    lower_.insert(lower_.end(), c.lower().begin(), c.lower().end());
    upper_.insert(upper_.end(), c.upper().begin(), c.upper().end());
    start_.insert(start_.end(), c.start().begin(), c.start().end());
    const RandomEffectTerm& rt = frame.random[t];
    const std::vector<std::string> n =
        c.Names(rt.grouping_factor.empty() ? rt.group : rt.grouping_factor, rt.names);
    names_.insert(names_.end(), n.begin(), n.end());
  }
}

std::vector<Eigen::MatrixXd> ThetaLayout::RelativeCovariances(std::span<const double> theta) const {
  std::vector<Eigen::MatrixXd> out;
  for (int t = 0; t < num_terms(); ++t)
    out.push_back(terms_[t].RelativeCovariance(TermTheta(theta, t)));
  return out;
}

bool ThetaLayout::IsSingular(std::span<const double> theta, double tol) const {
  for (int t = 0; t < num_terms(); ++t)
    if (terms_[t].AtSingularBoundary(TermTheta(theta, t), tol)) return true;
  return false;
}

}  // namespace lmm
