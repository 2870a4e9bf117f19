#include "residual/residual_structure.h"

#include <fmt/format.h>

#include <cmath>

#include "lmm/error.h"

namespace lmm::residual {
namespace {

// |u| bounds: tanh(7) = 1 - 1.7e-6 and logistic(+-14) within 1e-6 of 0 and 1 keep the matrices
// numerically positive definite; sd ratios within exp(+-12).
constexpr double kTanhBound = 7;
constexpr double kLogisticBound = 14;
constexpr double kLogSdBound = 12;

double Logistic(double u) { return 1 / (1 + std::exp(-u)); }

}  // namespace

Eigen::MatrixXd UnstructuredCorrelation(std::span<const double> w, int t) {
  Eigen::MatrixXd l = Eigen::MatrixXd::Identity(t, t);
  size_t k = 0;
  // w is in pairs() order (i < j, row by row over i); W(j, i) = w_k for the pair (i, j).
  for (int i = 0; i < t; ++i)
    for (int j = i + 1; j < t; ++j) l(j, i) = w[k++];
  for (int i = 0; i < t; ++i) l.row(i) /= l.row(i).norm();
  return l * l.transpose();
}

std::vector<double> PacfToAr(std::span<const double> pacf) {
  const size_t p = pacf.size();
  std::vector<double> phi(p, 0.0), prev(p, 0.0);
  for (size_t k = 0; k < p; ++k) {
    prev = phi;
    phi[k] = pacf[k];
    for (size_t j = 0; j < k; ++j) phi[j] = prev[j] - pacf[k] * prev[k - 1 - j];
  }
  return phi;
}

std::vector<double> ArAutocorrelations(std::span<const double> pacf, int64_t max_lag) {
  const auto p = static_cast<int64_t>(pacf.size());
  std::vector<double> rho(static_cast<size_t>(std::max(max_lag, p)) + 1, 0.0);
  rho[0] = 1;
  // rho_k = sum_{j<k} phi^(k-1)_j rho_{k-j} + pacf_k v_{k-1}, v_k = prod_{i<=k} (1 - pacf_i^2)
  // [Brockwell & Davis 1991, sec. 5.2].
  std::vector<double> phi;
  double v = 1;
  for (int64_t k = 1; k <= p; ++k) {
    double s = 0;
    for (int64_t j = 1; j < k; ++j)
      s += phi[static_cast<size_t>(j - 1)] * rho[static_cast<size_t>(k - j)];
    rho[static_cast<size_t>(k)] = s + pacf[static_cast<size_t>(k - 1)] * v;
    v *= 1 - pacf[static_cast<size_t>(k - 1)] * pacf[static_cast<size_t>(k - 1)];
    phi = PacfToAr(pacf.subspan(0, static_cast<size_t>(k)));
  }
  for (int64_t h = p + 1; h < static_cast<int64_t>(rho.size()); ++h) {
    double s = 0;
    for (int64_t j = 1; j <= p; ++j)
      s += phi[static_cast<size_t>(j - 1)] * rho[static_cast<size_t>(h - j)];
    rho[static_cast<size_t>(h)] = s;
  }
  rho.resize(static_cast<size_t>(max_lag) + 1);
  return rho;
}

std::vector<double> MaAutocorrelations(std::span<const double> theta, int64_t max_lag) {
  const auto q = static_cast<int64_t>(theta.size());
  auto th = [&](int64_t j) { return j == 0 ? 1.0 : theta[static_cast<size_t>(j - 1)]; };
  double gamma0 = 0;
  for (int64_t j = 0; j <= q; ++j) gamma0 += th(j) * th(j);
  std::vector<double> rho(static_cast<size_t>(max_lag) + 1, 0.0);
  for (int64_t h = 0; h <= std::min(q, max_lag); ++h) {
    double s = 0;
    for (int64_t j = 0; j + h <= q; ++j) s += th(j) * th(j + h);
    rho[static_cast<size_t>(h)] = s / gamma0;
  }
  return rho;
}

ResidualStructure::ResidualStructure(const ResidualSpec& spec, const Clusters& clusters)
    : spec_(spec), clusters_(clusters), num_by_(clusters.num_by()) {
  const std::string where = "--residuals '" + spec.text + "': ";
  switch (spec.type) {
    case ResidualType::kIndependent:
      break;
    case ResidualType::kExchangeable:
    case ResidualType::kExponential:
      corr_size_ = 1;
      corr_names_ = {"rho"};
      break;
    case ResidualType::kAr:
    case ResidualType::kMa:
      corr_size_ = spec.order;
      for (int k = 1; k <= spec.order; ++k)
        corr_names_.push_back((spec.type == ResidualType::kAr ? "phi" : "theta") +
                              std::to_string(k));
      if (spec.order > clusters.max_lag)
        throw UsageError(where + "order " + std::to_string(spec.order) +
                         " exceeds the largest time lag within a cluster (" +
                         std::to_string(clusters.max_lag) + ")");
      break;
    case ResidualType::kToeplitz:
      spec_.order = spec.order < 0 ? static_cast<int>(clusters.max_lag) : spec.order;
      if (spec_.order < 1 || spec_.order > clusters.max_lag)
        throw UsageError(where +
                         "the order must be between 1 and the largest time lag within a "
                         "cluster (" +
                         std::to_string(clusters.max_lag) + ")");
      corr_size_ = spec_.order;
      for (int k = 1; k <= spec_.order; ++k) corr_names_.push_back("rho" + std::to_string(k));
      break;
    case ResidualType::kBanded:
    case ResidualType::kUnstructured: {
      const int t = static_cast<int>(clusters.time_levels.size());
      if (spec.type == ResidualType::kBanded) {
        spec_.order = spec.order < 0 ? t - 1 : spec.order;
        if (spec.order > t - 1)
          throw UsageError(where +
                           "the band must be between 0 and the number of time values "
                           "less one (" +
                           std::to_string(t - 1) + ")");
      } else {
        spec_.order = t - 1;
      }
      sd_per_by_ = t;
      // Stata's order: cov(e_i, e_j) for i < j, row by row.
      for (int i = 0; i < t; ++i)
        for (int j = i + 1; j < t && j - i <= spec_.order; ++j) pairs_.emplace_back(i, j);
      corr_size_ = static_cast<int>(pairs_.size());
      for (const auto& [i, j] : pairs_)
        corr_names_.push_back(
            fmt::format("corr(e{},e{})", clusters.time_levels[i], clusters.time_levels[j]));
      break;
    }
  }
  corr_matrix_.resize(static_cast<size_t>(num_by_));
  lag_corr_.resize(static_cast<size_t>(num_by_));
  rho_.assign(static_cast<size_t>(num_by_), 0.0);
  sd_.assign(static_cast<size_t>(num_by_ * sd_per_by_), 1.0);
}

std::vector<double> ResidualStructure::Lower() const {
  std::vector<double> lo(static_cast<size_t>(size()), -kLogSdBound);
  const bool logistic =
      spec_.type == ResidualType::kExchangeable || spec_.type == ResidualType::kExponential;
  // Unstructured: W's entries, |W_ij| <= 50 (correlations within ~1e-3 of +-1 at most).
  const double corr_bound = spec_.type == ResidualType::kUnstructured ? 50
                            : logistic                                ? kLogisticBound
                                                                      : kTanhBound;
  for (int i = 0; i < num_by_ * corr_size_; ++i) lo[i] = -corr_bound;
  return lo;
}

std::vector<double> ResidualStructure::Upper() const {
  std::vector<double> up = Lower();
  for (double& v : up) v = -v;
  return up;
}

std::vector<double> ResidualStructure::CorrParameters(std::span<const double> u, int b) const {
  const std::span<const double> ub =
      u.subspan(static_cast<size_t>(b * corr_size_), static_cast<size_t>(corr_size_));
  std::vector<double> out;
  switch (spec_.type) {
    case ResidualType::kIndependent:
      break;
    case ResidualType::kBanded:
      for (double v : ub) out.push_back(std::tanh(v));
      break;
    case ResidualType::kUnstructured: {
      const Eigen::MatrixXd c = UnstructuredCorrelation(ub, sd_per_by_);
      for (const auto& [i, j] : pairs_) out.push_back(c(i, j));
      break;
    }
    case ResidualType::kExchangeable: {
      const double lo =
          clusters_.max_size > 1 ? -1.0 / static_cast<double>(clusters_.max_size - 1) : -1.0;
      out.push_back(lo + (1 - lo) * Logistic(ub[0]));
      break;
    }
    case ResidualType::kExponential:
      out.push_back(Logistic(ub[0]));
      break;
    case ResidualType::kAr:
    case ResidualType::kMa: {
      std::vector<double> pacf(ub.size());
      for (size_t k = 0; k < ub.size(); ++k) pacf[k] = std::tanh(ub[k]);
      out = PacfToAr(pacf);
      if (spec_.type == ResidualType::kMa)
        for (double& v : out) v = -v;
      break;
    }
    case ResidualType::kToeplitz:
      for (double v : ub) out.push_back(std::tanh(v));
      break;
  }
  return out;
}

double ResidualStructure::SdRatio(std::span<const double> u, int b, int t) const {
  const int k = SdIndex(b, t);
  return k < 0 ? 1.0 : std::exp(u[static_cast<size_t>(k)]);
}

void ResidualStructure::Prepare(std::span<const double> u) {
  for (int b = 0; b < num_by_; ++b) {
    for (int t = 0; t < sd_per_by_; ++t)
      sd_[static_cast<size_t>(b * sd_per_by_ + t)] = SdRatio(u, b, t);
    const std::span<const double> ub =
        u.subspan(static_cast<size_t>(b * corr_size_), static_cast<size_t>(corr_size_));
    std::vector<double>& lag = lag_corr_[static_cast<size_t>(b)];
    switch (spec_.type) {
      case ResidualType::kAr: {
        std::vector<double> pacf(ub.size());
        for (size_t k = 0; k < ub.size(); ++k) pacf[k] = std::tanh(ub[k]);
        lag = ArAutocorrelations(pacf, clusters_.max_lag);
        break;
      }
      case ResidualType::kMa:
        lag = MaAutocorrelations(CorrParameters(u, b), clusters_.max_lag);
        break;
      case ResidualType::kToeplitz: {
        lag.assign(static_cast<size_t>(clusters_.max_lag) + 1, 0.0);
        lag[0] = 1;
        const std::vector<double> r = CorrParameters(u, b);
        for (size_t k = 0; k < r.size(); ++k) lag[k + 1] = r[k];
        break;
      }
      case ResidualType::kExchangeable:
      case ResidualType::kExponential:
        rho_[static_cast<size_t>(b)] = CorrParameters(u, b)[0];
        break;
      case ResidualType::kUnstructured:
        corr_matrix_[static_cast<size_t>(b)] = UnstructuredCorrelation(ub, sd_per_by_);
        break;
      case ResidualType::kBanded: {
        Eigen::MatrixXd& c = corr_matrix_[static_cast<size_t>(b)];
        c = Eigen::MatrixXd::Identity(sd_per_by_, sd_per_by_);
        for (size_t k = 0; k < pairs_.size(); ++k)
          c(pairs_[k].first, pairs_[k].second) = c(pairs_[k].second, pairs_[k].first) =
              std::tanh(ub[k]);
        break;
      }
      default:
        break;
    }
  }
}

double ResidualStructure::Correlation(int b, int64_t e1, int64_t e2) const {
  switch (spec_.type) {
    case ResidualType::kAr:
    case ResidualType::kMa:
    case ResidualType::kToeplitz: {
      const auto lag = static_cast<size_t>(std::abs(clusters_.time[static_cast<size_t>(e1)] -
                                                    clusters_.time[static_cast<size_t>(e2)]));
      return lag_corr_[static_cast<size_t>(b)][lag];
    }
    case ResidualType::kExchangeable:
      return rho_[static_cast<size_t>(b)];
    case ResidualType::kUnstructured:
    case ResidualType::kBanded:
      return corr_matrix_[static_cast<size_t>(b)](clusters_.time_id[static_cast<size_t>(e1)],
                                                  clusters_.time_id[static_cast<size_t>(e2)]);
    case ResidualType::kExponential:
      return std::pow(rho_[static_cast<size_t>(b)],
                      std::abs(clusters_.time[static_cast<size_t>(e1)] -
                               clusters_.time[static_cast<size_t>(e2)]));
    default:
      return 0;
  }
}

void ResidualStructure::ClusterCovariance(int64_t c, Eigen::MatrixXd& r) const {
  const int64_t begin = clusters_.offsets[static_cast<size_t>(c)];
  const int64_t m = clusters_.offsets[static_cast<size_t>(c) + 1] - begin;
  r.resize(m, m);
  const int32_t b = clusters_.cluster_by[static_cast<size_t>(c)];
  auto sd = [&](int64_t e) {
    return sd_[static_cast<size_t>(
        clusters_.by[static_cast<size_t>(e)] * sd_per_by_ +
        (sd_per_by_ > 1 ? clusters_.time_id[static_cast<size_t>(e)] : 0))];
  };
  for (int64_t i = 0; i < m; ++i) {
    const double sd_i = sd(begin + i);
    r(i, i) = sd_i * sd_i;
    for (int64_t j = 0; j < i; ++j) {
      const double sd_j = sd(begin + j);
      r(i, j) = r(j, i) = b < 0 ? 0.0 : sd_i * sd_j * Correlation(b, begin + i, begin + j);
    }
  }
}

}  // namespace lmm::residual
