#include "scale/stream_start.h"

#include <algorithm>
#include <cmath>

#include "model/theta_layout.h"

namespace lmm::scale {
namespace {

// As likelihood/start_values.cc.
constexpr double kMinStart = 0.1;
constexpr double kMaxStart = 10.0;

}  // namespace

std::optional<std::vector<double>> StreamMomentStart(const ModelFrame& frame,
                                                     const StreamPieces& pieces,
                                                     Collective& collective) {
  const RandomEffectTerm& t = frame.random[0];
  const int p = pieces.cp.p;
  const double n = static_cast<double>(pieces.n);
  // Every process decides alike (the same frame and n), so the collective below is reached by
  // all or none.
  if (t.names != std::vector<std::string>{"(Intercept)"} || pieces.n <= p + 1 || t.levels < 2)
    return std::nullopt;
  const Eigen::MatrixXd& a = pieces.cp.a;
  Eigen::VectorXd beta = Eigen::VectorXd::Zero(p);
  double ss = a(p, p);
  if (p > 0) {
    const Eigen::LDLT<Eigen::MatrixXd> ldlt(a.topLeftCorner(p, p));
    if (ldlt.info() != Eigen::Success) return std::nullopt;
    beta = ldlt.solve(a.col(p).head(p));
    ss -= a.col(p).head(p).dot(beta);
  }
  // This process' clusters: sum of s_c^2 / n_c, sum of n_c^2, sum of s_c.
  const gpu::HostClusters& h = pieces.block;
  double part[3] = {0, 0, 0};
  for (int64_t c = 0; c < h.clusters; ++c) {
    double s = h.panel[static_cast<size_t>(p * h.clusters + c)];
    for (int j = 0; j < p; ++j) s -= h.panel[static_cast<size_t>(j * h.clusters + c)] * beta(j);
    const double count = static_cast<double>(pieces.counts[static_cast<size_t>(pieces.first + c)]);
    part[0] += s * s / count;
    part[1] += count * count;
    part[2] += s;
  }
  const std::vector<double> all = collective.GatherDoubles(part);
  double between = 0, sq_counts = 0, total_sum = 0;
  for (size_t at = 0; at < all.size(); at += 3) {
    between += all[at];
    sq_counts += all[at + 1];
    total_sum += all[at + 2];
  }
  const double total = ss / (n - p);
  if (!(total > 0) || !std::isfinite(total)) return std::nullopt;
  const double used = static_cast<double>(t.levels);
  double variance = 0;
  if (n > used) {
    const double mean = total_sum / n;
    const double msb = (between - n * mean * mean) / (used - 1);
    const double msw = (ss - between) / (n - used);
    const double n0 = (n - sq_counts / n) / (used - 1);
    variance = std::max(0.0, (msb - msw) / n0);
  }
  const double residual = std::max(total - variance, 0.1 * total);
  const ThetaLayout layout(frame);
  std::vector<double> theta = layout.start();
  theta[static_cast<size_t>(layout.offset(0))] =
      std::clamp(std::sqrt(variance / residual), kMinStart, kMaxStart);
  return theta;
}

}  // namespace lmm::scale
