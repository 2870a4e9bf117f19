#include "inference/variance_components.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include "inference/central_hessian.h"
#include "inference/distributions.h"
#include "inference/stata_metric.h"
#include "lmm/error.h"

namespace lmm::inference {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Relative step of the map alpha -> (theta, log sigma) when it is differentiated; the map is
// explicit and smooth, so central differences with this step are accurate to ~1e-11.
constexpr double kMapStep = 1e-6;

// Hessian of the deviance in the free components of alpha, by the chain rule through
// x = ((theta - theta_hat) / c, log sigma - log sigma_hat), c_i = max(|theta_hat_i|, 0.1):
//   H_alpha = J' H_x J,  J = dx / dalpha,
// J by central differences of the map (no factorization), H_x by central differences of the
// deviance. Given log|L|^2, log|R_X|^2 and pwrss at theta, the deviance is explicit in sigma, so
// the points that move only log sigma, or theta and log sigma together, reuse the factorizations
// of the theta points: 2 k^2 factorizations for k theta coordinates instead of
// 1 + 2 m + 2 m (m - 1) for m = k + 1 coordinates of alpha. The chain rule's second term,
// sum_i dD/dx_i d^2 x_i / dalpha^2, is dropped: at the estimate dD/dlog sigma = 0 exactly
// (sigma^2 profiled) and dD/dtheta is the optimizer's converged gradient.
//
// With a known stencil (KnownEvaluations), x is centered at its center with c = its steps and
// differenced with a unit step, so that every theta point is one the caller evaluated: the
// values are looked up, and only points it lacks (one-sided coordinates) are factored.
Eigen::MatrixXd DevianceHessian(Evaluator& ev, const StataMetric& metric,
                                const Eigen::VectorXd& alpha, const std::vector<int>& free,
                                std::span<const double> theta_hat, bool reml,
                                const KnownEvaluations& known) {
  const int k = static_cast<int>(theta_hat.size());
  const bool reuse = known.pieces != nullptr && static_cast<int>(known.center.size()) == k &&
                     static_cast<int>(known.steps.size()) == k;
  std::vector<double> center(theta_hat.begin(), theta_hat.end());
  Eigen::VectorXd c(k);
  for (int i = 0; i < k; ++i) c(i) = std::max(std::abs(theta_hat[i]), 0.1);
  if (reuse) {
    center = known.center;
    for (int i = 0; i < k; ++i) c(i) = known.steps[i];
  }
  // log sigma enters as (log sigma - log sigma_hat) / c_sigma, so that the difference step
  // (1 with a known stencil, else kInformationStep) is kInformationStep in log sigma.
  const double step = reuse ? 1.0 : kInformationStep;
  const double c_sigma = kInformationStep / step;
  const double log_sigma_hat = alpha(metric.LogSigmaIndex());
  auto to_x = [&](const Eigen::VectorXd& a) {
    double sigma2 = 0;
    const std::vector<double> theta = metric.ToTheta(a, &sigma2);
    Eigen::VectorXd x(k + 1);
    for (int i = 0; i < k; ++i) x(i) = (theta[i] - center[i]) / c(i);
    x(k) = (0.5 * std::log(sigma2) - log_sigma_hat) / c_sigma;
    return x;
  };
  const int nf = static_cast<int>(free.size());
  Eigen::MatrixXd jac(k + 1, nf);
  for (int b = 0; b < nf; ++b) {
    Eigen::VectorXd up = alpha, down = alpha;
    up(free[b]) += kMapStep;
    down(free[b]) -= kMapStep;
    jac.col(b) = (to_x(up) - to_x(down)) / (2 * kMapStep);
  }
  // Coordinates of x that some free alpha moves (a zero SD's theta stays 0).
  std::vector<int> used;
  for (int i = 0; i <= k; ++i)
    if (jac.row(i).cwiseAbs().maxCoeff() > 0) used.push_back(i);
  // Pieces per theta point (nullopt where the factorization failed).
  std::map<std::vector<double>, std::optional<ObjectivePieces>> cache;
  const double n = static_cast<double>(ev.n());
  const double dof = reml ? n - ev.p() : n;
  auto deviance = [&](const Eigen::VectorXd& x) {
    std::vector<double> theta(k);
    for (int i = 0; i < k; ++i) theta[i] = center[i] + c(i) * x(i);
    auto it = cache.find(theta);
    if (it == cache.end()) {
      std::optional<ObjectivePieces> p;
      if (reuse) {
        const auto hit = known.pieces->find(theta);
        if (hit != known.pieces->end()) p = hit->second;
      }
      if (!p && ev.Update(theta).ok())
        p = ObjectivePieces{ev.logdet_l(), ev.logdet_rx(), ev.pwrss()};
      it = cache.emplace(theta, p).first;
    }
    if (!it->second) return kNaN;
    const ObjectivePieces& p = *it->second;
    const double sigma2 = std::exp(2 * (log_sigma_hat + c_sigma * x(k)));
    double dev = p.logdet_l + dof * std::log(2 * M_PI * sigma2) + p.pwrss / sigma2;
    if (reml) dev += p.logdet_rx;
    return dev;
  };
  const Eigen::VectorXd x0 = Eigen::VectorXd::Zero(k + 1);
  const Eigen::MatrixXd hx = CentralHessian(deviance, x0, used, step);
  Eigen::MatrixXd ju(used.size(), nf);
  for (size_t a = 0; a < used.size(); ++a) ju.row(static_cast<Eigen::Index>(a)) = jac.row(used[a]);
  return ju.transpose() * hx * ju;
}

struct Interval {
  double se = kNaN, low = kNaN, high = kNaN;
};

double GradientVariance(const Eigen::VectorXd& g, const Eigen::MatrixXd& cov) {
  double v = 0;
  for (int i = 0; i < g.size(); ++i) {
    if (g(i) == 0) continue;
    for (int j = 0; j < g.size(); ++j)
      if (g(j) != 0) v += g(i) * cov(i, j) * g(j);
  }
  return v;
}

}  // namespace

double UnprofiledDeviance(Evaluator& ev, std::span<const double> theta, double sigma2, bool reml) {
  const Status s = ev.Update(theta);
  // A device failure says nothing about theta: it stops the fit (as FitCore), not a NaN SE.
  if (s.code() == Status::Code::kDevice)
    throw Error(ErrorKind::kNumerical, "fit: the GPU failed: " + s.ToString());
  if (!s.ok()) return kNaN;
  const double n = static_cast<double>(ev.n());
  const double dof = reml ? n - ev.p() : n;
  double dev = ev.logdet_l() + dof * std::log(2 * M_PI * sigma2) + ev.pwrss() / sigma2;
  if (reml) dev += ev.logdet_rx();
  return dev;
}

VarianceComponentTable EstimateVarianceComponents(Evaluator& ev, const ModelFrame& frame,
                                                  std::span<const double> theta_hat, bool reml,
                                                  double level, const KnownEvaluations& known) {
  if (!ev.Update(theta_hat).ok()) return {};
  const double sigma2 = ev.sigma2(reml);
  const StataMetric metric(ev.layout(), frame);
  const Eigen::VectorXd alpha = metric.FromTheta(theta_hat, sigma2);
  const int m = metric.size();

  // Boundary parameters (zero SD, |r| -> 1) are held fixed; correlations of a zero-SD column too.
  std::vector<bool> fixed(static_cast<size_t>(m), false);
  for (int i = 0; i < m; ++i) fixed[i] = !std::isfinite(alpha(i));
  for (int t = 0; t < static_cast<int>(frame.random.size()); ++t)
    for (int i = 0; i < frame.random[t].q(); ++i)
      for (int j = 0; j < frame.random[t].q(); ++j) {
        const int k = metric.CorrIndex(t, i, j);
        if (k < 0) continue;
        // |atanh r| > 15: |r| > 1 - 1e-13, a correlation on its boundary.
        if (std::abs(alpha(k)) > 15 || fixed[metric.SdIndex(t, i)] || fixed[metric.SdIndex(t, j)])
          fixed[k] = true;
      }
  std::vector<int> free;
  for (int i = 0; i < m; ++i)
    if (!fixed[i]) free.push_back(i);

  VarianceComponentTable table;
  table.alpha_covariance = Eigen::MatrixXd::Constant(m, m, kNaN);
  Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(m, m);
  {
    const Eigen::MatrixXd hess = DevianceHessian(ev, metric, alpha, free, theta_hat, reml, known);
    // Information = Hessian of -log L = hess / 2.
    const Eigen::MatrixXd info_inv = (0.5 * hess).inverse();
    for (size_t a = 0; a < free.size(); ++a)
      for (size_t b = 0; b < free.size(); ++b) {
        cov(free[a], free[b]) = info_inv(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b));
        table.alpha_covariance(free[a], free[b]) = cov(free[a], free[b]);
      }
  }
  ev.Update(theta_hat);  // leave the evaluator at the estimate

  const double z = NormalQuantile(0.5 + level / 2);
  auto se_of = [&](const Eigen::VectorXd& g, const std::vector<int>& uses) {
    for (int i : uses)
      if (i >= 0 && fixed[i]) return kNaN;
    const double v = GradientVariance(g, cov);
    return v >= 0 ? std::sqrt(v) : kNaN;
  };
  // A variance exp(2 a): interval from the log scale, SD interval its square root.
  auto variance_component = [&](VarianceComponent& vc, double var, int sd_index) {
    vc.value = var;
    vc.std_dev = std::sqrt(var);
    vc.correlation = kNaN;
    Eigen::VectorXd g = Eigen::VectorXd::Zero(m);
    g(sd_index) = 2 * var;
    vc.std_error = se_of(g, {sd_index});
    const double se_log = vc.std_error / var;
    vc.conf_low = var * std::exp(-z * se_log);
    vc.conf_high = var * std::exp(z * se_log);
    vc.sd_std_error = vc.std_error / (2 * vc.std_dev);
    vc.sd_conf_low = std::sqrt(vc.conf_low);
    vc.sd_conf_high = std::sqrt(vc.conf_high);
    vc.corr_std_error = vc.corr_conf_low = vc.corr_conf_high = kNaN;
  };

  for (int t = 0; t < static_cast<int>(frame.random.size()); ++t) {
    const RandomEffectTerm& re = frame.random[t];
    const Eigen::MatrixXd sigma = metric.Covariance(alpha, t);
    for (int i = 0; i < re.q(); ++i) {
      VarianceComponent vc;
      vc.group = re.group;
      vc.term = re.names[i];
      variance_component(vc, sigma(i, i), metric.SdIndex(t, i));
      table.terms.push_back(vc);
    }
    for (int j = 0; j < re.q(); ++j)
      for (int i = j + 1; i < re.q(); ++i) {
        const int k = metric.CorrIndex(t, i, j);
        if (k < 0) continue;
        VarianceComponent vc;
        vc.group = re.group;
        vc.term = re.names[j];
        vc.term2 = re.names[i];
        vc.value = sigma(i, j);
        vc.std_dev = kNaN;
        const double sd_i = std::sqrt(sigma(i, i)), sd_j = std::sqrt(sigma(j, j));
        const double r = std::tanh(alpha(k));
        vc.correlation = r;
        // d cov / d(a_i, a_j, b) = (cov, cov, (1 - r^2) sd_i sd_j); shared indices add up.
        Eigen::VectorXd g = Eigen::VectorXd::Zero(m);
        g(metric.SdIndex(t, i)) += vc.value;
        g(metric.SdIndex(t, j)) += vc.value;
        g(k) += (1 - r * r) * sd_i * sd_j;
        vc.std_error = se_of(g, {metric.SdIndex(t, i), metric.SdIndex(t, j), k});
        vc.conf_low = vc.value - z * vc.std_error;
        vc.conf_high = vc.value + z * vc.std_error;
        const double se_b = fixed[k] ? kNaN : std::sqrt(cov(k, k));
        vc.corr_std_error = (1 - r * r) * se_b;
        vc.corr_conf_low = std::tanh(alpha(k) - z * se_b);
        vc.corr_conf_high = std::tanh(alpha(k) + z * se_b);
        vc.sd_std_error = vc.sd_conf_low = vc.sd_conf_high = kNaN;
        table.terms.push_back(vc);
      }
  }
  table.residual.group = "Residual";
  variance_component(table.residual, sigma2, metric.LogSigmaIndex());
  return table;
}

}  // namespace lmm::inference
