#include "lmm/simulate.h"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <cmath>
#include <random>
#include <vector>

#include "io/atomic_file.h"
#include "lmm/error.h"

namespace lmm {
namespace {

void Check(const SimulationOptions& o) {
  if (o.rows < 2) throw UsageError("simulate: --rows must be at least 2");
  if (o.clusters < 2 || o.clusters > o.rows)
    throw UsageError("simulate: --clusters must be between 2 and --rows");
  // Level indices are 32-bit (RandomEffectTerm::level): more levels could never be fitted.
  constexpr int64_t kMaxLevels = 2147483647;
  if (o.clusters > kMaxLevels || o.crossed_levels > kMaxLevels)
    throw UsageError("simulate: --clusters and --crossed must be at most 2147483647 (2^31 - 1)");
  if (o.covariates < 0 || o.random_slopes < 0 || o.random_slopes > o.covariates)
    throw UsageError("simulate: need 0 <= --slopes <= --covariates");
  if (o.crossed_levels < 0 || o.crossed_levels == 1 || o.crossed_levels > o.rows)
    throw UsageError("simulate: --crossed must be 0 (none) or between 2 and --rows");
  // Written as !(ok) so that NaN fails too.
  if (!(o.sd_intercept >= 0 && o.sd_slope >= 0 && o.sd_crossed >= 0 && o.sd_residual > 0) ||
      !std::isfinite(o.sd_intercept + o.sd_slope + o.sd_crossed + o.sd_residual))
    throw UsageError("simulate: standard deviations must be finite and >= 0 (residual > 0)");
  if (!(o.correlation >= -1 && o.correlation <= 1))
    throw UsageError("simulate: --correlation must be a number in [-1, 1]");
}

// Cholesky factor of g's random-effect covariance: intercept and k slopes, each slope correlated
// with the intercept by `correlation`, slopes uncorrelated with each other.
Eigen::MatrixXd CovarianceFactor(const SimulationOptions& o) {
  const int q = 1 + o.random_slopes;
  Eigen::MatrixXd sigma = Eigen::MatrixXd::Zero(q, q);
  sigma(0, 0) = o.sd_intercept * o.sd_intercept;
  for (int j = 1; j < q; ++j) {
    sigma(j, j) = o.sd_slope * o.sd_slope;
    sigma(0, j) = sigma(j, 0) = o.correlation * o.sd_intercept * o.sd_slope;
  }
  Eigen::LLT<Eigen::MatrixXd> llt(sigma);
  if (llt.info() != Eigen::Success)
    throw UsageError("simulate: --correlation gives a covariance that is not positive definite");
  return llt.matrixL();
}

}  // namespace

void SimulateCsv(const SimulationOptions& o, const std::string& path) {
  Check(o);
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<double> normal;
  const Eigen::MatrixXd factor = CovarianceFactor(o);
  const int q = static_cast<int>(factor.rows());
  Eigen::MatrixXd u(q, o.clusters);
  for (int64_t c = 0; c < o.clusters; ++c) {
    Eigen::VectorXd z(q);
    for (int j = 0; j < q; ++j) z(j) = normal(rng);
    u.col(c) = factor * z;
  }
  std::vector<double> v(static_cast<size_t>(o.crossed_levels));
  for (double& vh : v) vh = o.sd_crossed * normal(rng);
  std::uniform_int_distribution<int64_t> pick_cluster(0, o.clusters - 1);
  std::uniform_int_distribution<int64_t> pick_crossed(0, std::max<int64_t>(o.crossed_levels - 1, 0));

  io::AtomicFile file(path);
  fmt::memory_buffer buf;
  fmt::format_to(std::back_inserter(buf), "y");
  for (int j = 1; j <= o.covariates; ++j) fmt::format_to(std::back_inserter(buf), ",x{}", j);
  fmt::format_to(std::back_inserter(buf), ",g{}\n", o.crossed_levels > 0 ? ",h" : "");
  std::vector<double> x(static_cast<size_t>(o.covariates));
  for (int64_t r = 0; r < o.rows; ++r) {
    const int64_t g = o.equal_cluster_sizes ? r * o.clusters / o.rows : pick_cluster(rng);
    double y = 1.0 + u(0, g);
    for (int j = 0; j < o.covariates; ++j) {
      x[j] = normal(rng);
      const double beta = (j % 2 == 0 ? 0.5 : -0.5) * (j + 1);
      y += beta * x[j] + (j < o.random_slopes ? u(j + 1, g) * x[j] : 0.0);
    }
    const int64_t h = o.crossed_levels > 0 ? pick_crossed(rng) : 0;
    if (o.crossed_levels > 0) y += v[static_cast<size_t>(h)];
    y += o.sd_residual * normal(rng);
    fmt::format_to(std::back_inserter(buf), "{:.10g}", y);
    for (double xj : x) fmt::format_to(std::back_inserter(buf), ",{:.10g}", xj);
    fmt::format_to(std::back_inserter(buf), ",g{}", g + 1);
    if (o.crossed_levels > 0) fmt::format_to(std::back_inserter(buf), ",h{}", h + 1);
    buf.push_back('\n');
    if (buf.size() > (1 << 20)) {
      file.Append(std::string_view(buf.data(), buf.size()));
      buf.clear();
    }
  }
  file.Append(std::string_view(buf.data(), buf.size()));
  file.Commit();
}

}  // namespace lmm
