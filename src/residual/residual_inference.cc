#include "residual/residual_inference.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "inference/central_hessian.h"
#include "inference/distributions.h"
#include "inference/stata_metric.h"
#include "inference/variance_components.h"
#include "lmm/error.h"

namespace lmm::residual {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Step of the Jacobian of the reported parameters in u (smooth closed forms: error ~ h^2).
constexpr double kJacobianStep = 1e-6;

double Quadratic(const Eigen::VectorXd& g, const Eigen::MatrixXd& cov) {
  const double v = g.dot(cov * g);
  return v >= 0 ? std::sqrt(v) : kNaN;
}

}  // namespace

ResidualInference EstimateResidualInference(WhitenedEvaluator& ev, const ModelFrame& frame,
                                            const Clusters& clusters, ResidualStructure& structure,
                                            std::span<const double> theta_hat,
                                            std::span<const double> u_hat, bool reml,
                                            double level) {
  ResidualInference out;
  const int s = structure.size();
  if (ev.residual_parameters() != std::vector<double>(u_hat.begin(), u_hat.end()))
    ev.SetResidualParameters(u_hat);
  ev.Update(theta_hat);
  const double sigma2 = ev.sigma2(reml);
  const inference::StataMetric metric(ev.layout(), frame);
  const int m = metric.size();
  Eigen::VectorXd w(m + s);
  w.head(m) = metric.FromTheta(theta_hat, sigma2);
  for (int i = 0; i < s; ++i) w(m + i) = u_hat[static_cast<size_t>(i)];

  // Free coordinates: finite log SDs, |atanh r| <= 15, u off its bounds.
  std::vector<bool> fixed(static_cast<size_t>(m + s), false);
  for (int i = 0; i < m; ++i) fixed[i] = !std::isfinite(w(i)) || std::abs(w(i)) > 15;
  const std::vector<double> lo = structure.Lower(), up = structure.Upper();
  for (int i = 0; i < s; ++i) fixed[m + i] = w(m + i) - lo[i] < 1e-3 || up[i] - w(m + i) < 1e-3;
  std::vector<int> free;
  for (int i = 0; i < m + s; ++i)
    if (!fixed[i]) free.push_back(i);

  // Re-whiten only when u changes (the alpha-only differences reuse the whitened products).
  std::vector<double> last_u(u_hat.begin(), u_hat.end());
  bool last_ok = true;
  auto deviance = [&](const Eigen::VectorXd& x) {
    std::vector<double> u(x.data() + m, x.data() + m + s);
    if (u != last_u) {
      const Status su = ev.SetResidualParameters(u);
      if (su.code() == Status::Code::kDevice)
        throw Error(ErrorKind::kNumerical, "fit: the GPU failed: " + su.ToString());
      last_ok = su.ok();
      last_u = u;
    }
    if (!last_ok) return kNaN;
    double s2 = 0;
    const std::vector<double> theta = metric.ToTheta(x.head(m), &s2);
    return inference::UnprofiledDeviance(ev, theta, s2, reml);
  };
  const int k = static_cast<int>(free.size());
  const Eigen::MatrixXd hess = inference::CentralHessian(deviance, w, free);
  // Information = Hessian of -log L = hess / 2; fixed coordinates get no variance.
  Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(m + s, m + s);
  const Eigen::MatrixXd info_inv = (0.5 * hess).inverse();
  for (int a = 0; a < k; ++a)
    for (int b = 0; b < k; ++b) cov(free[a], free[b]) = info_inv(a, b);
  auto se_of = [&](const Eigen::VectorXd& g) {
    for (int i = 0; i < m + s; ++i)
      if (g(i) != 0 && fixed[i]) return kNaN;
    return Quadratic(g, cov);
  };
  const double z = inference::NormalQuantile(0.5 + level / 2);

  // Random-effect terms: values as EstimateVarianceComponents (conditional on u), SEs joint.
  if (last_u != std::vector<double>(u_hat.begin(), u_hat.end())) ev.SetResidualParameters(u_hat);
  const inference::VarianceComponentTable vc =
      inference::EstimateVarianceComponents(ev, frame, theta_hat, reml, level);
  out.terms = vc.terms;
  size_t next = 0;
  for (int t = 0; t < static_cast<int>(frame.random.size()); ++t) {
    const RandomEffectTerm& re = frame.random[t];
    const size_t first_variance = next;
    for (int i = 0; i < re.q(); ++i) {
      VarianceComponent& v = out.terms[next++];
      Eigen::VectorXd g = Eigen::VectorXd::Zero(m + s);
      g(metric.SdIndex(t, i)) = 2 * v.value;
      v.std_error = se_of(g);
      v.conf_low = v.value * std::exp(-z * v.std_error / v.value);
      v.conf_high = v.value * std::exp(z * v.std_error / v.value);
      v.sd_std_error = v.std_error / (2 * v.std_dev);
      v.sd_conf_low = std::sqrt(v.conf_low);
      v.sd_conf_high = std::sqrt(v.conf_high);
    }
    for (int j = 0; j < re.q(); ++j)
      for (int i = j + 1; i < re.q(); ++i) {
        const int c = metric.CorrIndex(t, i, j);
        if (c < 0) continue;
        VarianceComponent& v = out.terms[next++];
        const double r = v.correlation;
        const double sd_i = out.terms[first_variance + static_cast<size_t>(i)].std_dev;
        const double sd_j = out.terms[first_variance + static_cast<size_t>(j)].std_dev;
        // d cov / d(a_i, a_j, b) = (cov, cov, (1 - r^2) sd_i sd_j); shared indices add up.
        Eigen::VectorXd g = Eigen::VectorXd::Zero(m + s);
        g(metric.SdIndex(t, i)) += v.value;
        g(metric.SdIndex(t, j)) += v.value;
        g(c) += (1 - r * r) * sd_i * sd_j;
        v.std_error = se_of(g);
        v.conf_low = v.value - z * v.std_error;
        v.conf_high = v.value + z * v.std_error;
        const double se_b = fixed[c] ? kNaN : std::sqrt(cov(c, c));
        v.corr_std_error = (1 - r * r) * se_b;
        v.corr_conf_low = std::tanh(w(c) - z * se_b);
        v.corr_conf_high = std::tanh(w(c) + z * se_b);
      }
  }

  // The structure's parameters per by level.
  const ResidualSpec& spec = structure.spec();
  ResidualStructureReport& rep = out.structure;
  rep.type = TypeName(spec.type);
  rep.spec = spec.text;
  rep.order = spec.type == ResidualType::kAr || spec.type == ResidualType::kMa ||
                      spec.type == ResidualType::kToeplitz || spec.type == ResidualType::kBanded
                  ? spec.order
                  : 0;
  rep.time = spec.time;
  rep.by = spec.by;
  rep.cluster = clusters.factor;
  const bool symmetric = spec.type == ResidualType::kAr || spec.type == ResidualType::kMa;
  const int log_sigma = metric.LogSigmaIndex();
  const bool heteroskedastic_time =
      spec.type == ResidualType::kUnstructured || spec.type == ResidualType::kBanded;
  auto label = [&](int t) {
    return fmt::format("{}", clusters.time_levels[static_cast<size_t>(t)]);
  };
  for (int b = 0; b < structure.num_by(); ++b) {
    std::vector<ResidualParameter> params;
    if (heteroskedastic_time) {
      // Stata's table: var(e_t) per time identifier (log-scale intervals), then cov(e_i, e_j)
      // (symmetric intervals).
      auto value = [&](std::span<const double> u, int pair) {
        const auto [i, j] = structure.pairs()[static_cast<size_t>(pair)];
        return structure.SdRatio(u, b, i) * structure.SdRatio(u, b, j) *
               structure.CorrParameters(u, b)[static_cast<size_t>(pair)];
      };
      for (int t = 0; t < structure.sd_per_by(); ++t) {
        ResidualParameter p;
        p.name = "var(e" + label(t) + ")";
        const double ratio = structure.SdRatio(u_hat, b, t);
        p.estimate = sigma2 * ratio * ratio;
        Eigen::VectorXd g = Eigen::VectorXd::Zero(m + s);
        g(log_sigma) = 2;
        if (structure.SdIndex(b, t) >= 0) g(m + structure.SdIndex(b, t)) = 2;
        const double se_log = se_of(g);
        p.std_error = p.estimate * se_log;
        p.conf_low = p.estimate * std::exp(-z * se_log);
        p.conf_high = p.estimate * std::exp(z * se_log);
        params.push_back(p);
      }
      for (int pair = 0; pair < static_cast<int>(structure.pairs().size()); ++pair) {
        const auto [i, j] = structure.pairs()[static_cast<size_t>(pair)];
        ResidualParameter p;
        p.name = "cov(e" + label(i) + ",e" + label(j) + ")";
        p.estimate = sigma2 * value(u_hat, pair);
        Eigen::VectorXd g = Eigen::VectorXd::Zero(m + s);
        g(log_sigma) = 2 * p.estimate;
        for (int a = 0; a < s; ++a) {
          std::vector<double> up_u(u_hat.begin(), u_hat.end()), dn_u = up_u;
          up_u[a] += kJacobianStep;
          dn_u[a] -= kJacobianStep;
          g(m + a) = sigma2 * (value(up_u, pair) - value(dn_u, pair)) / (2 * kJacobianStep);
        }
        p.std_error = se_of(g);
        p.conf_low = p.estimate - z * p.std_error;
        p.conf_high = p.estimate + z * p.std_error;
        params.push_back(p);
      }
      if (clusters.by_labels.empty())
        rep.parameters = std::move(params);
      else
        rep.by_levels.emplace_back(clusters.by_labels[static_cast<size_t>(b)], std::move(params));
      continue;
    }
    const std::vector<double> est = structure.CorrParameters(u_hat, b);
    for (size_t j = 0; j < est.size(); ++j) {
      Eigen::VectorXd g = Eigen::VectorXd::Zero(m + s);
      for (int i = 0; i < s; ++i) {
        std::vector<double> up_u(u_hat.begin(), u_hat.end()), dn_u = up_u;
        up_u[i] += kJacobianStep;
        dn_u[i] -= kJacobianStep;
        g(m + i) = (structure.CorrParameters(up_u, b)[j] - structure.CorrParameters(dn_u, b)[j]) /
                   (2 * kJacobianStep);
      }
      ResidualParameter p;
      p.name = structure.corr_names()[j];
      p.estimate = est[j];
      p.std_error = se_of(g);
      if (symmetric) {
        p.conf_low = p.estimate - z * p.std_error;
        p.conf_high = p.estimate + z * p.std_error;
      } else {
        const double a = std::atanh(p.estimate), se_a = p.std_error / (1 - p.estimate * p.estimate);
        p.conf_low = std::tanh(a - z * se_a);
        p.conf_high = std::tanh(a + z * se_a);
      }
      params.push_back(p);
    }
    ResidualParameter ve;
    ve.name = "var(e)";
    const double ratio = structure.SdRatio(u_hat, b);
    ve.estimate = sigma2 * ratio * ratio;
    Eigen::VectorXd g = Eigen::VectorXd::Zero(m + s);
    g(log_sigma) = 2;
    if (structure.SdIndex(b) >= 0) g(m + structure.SdIndex(b)) = 2;
    const double se_log = se_of(g);
    ve.std_error = ve.estimate * se_log;
    ve.conf_low = ve.estimate * std::exp(-z * se_log);
    ve.conf_high = ve.estimate * std::exp(z * se_log);
    params.push_back(ve);
    if (spec.type == ResidualType::kExchangeable) {
      // Stata's second exchangeable parameter: cov(e) = var(e) rho (symmetric interval).
      auto cov_of = [&](std::span<const double> u) {
        const double r = structure.SdRatio(u, b);
        return sigma2 * r * r * structure.CorrParameters(u, b)[0];
      };
      ResidualParameter cv;
      cv.name = "cov(e)";
      cv.estimate = cov_of(u_hat);
      Eigen::VectorXd gc = Eigen::VectorXd::Zero(m + s);
      gc(log_sigma) = 2 * cv.estimate;
      for (int a = 0; a < s; ++a) {
        std::vector<double> up_u(u_hat.begin(), u_hat.end()), dn_u = up_u;
        up_u[a] += kJacobianStep;
        dn_u[a] -= kJacobianStep;
        gc(m + a) = (cov_of(up_u) - cov_of(dn_u)) / (2 * kJacobianStep);
      }
      cv.std_error = se_of(gc);
      cv.conf_low = cv.estimate - z * cv.std_error;
      cv.conf_high = cv.estimate + z * cv.std_error;
      params.push_back(cv);
    }
    if (clusters.by_labels.empty())
      rep.parameters = std::move(params);
    else
      rep.by_levels.emplace_back(clusters.by_labels[static_cast<size_t>(b)], std::move(params));
  }
  out.residual = vc.residual;
  // var(e) of the reference (first by level; unstructured and banded: its first time identifier).
  const std::vector<ResidualParameter>& first_params =
      rep.by_levels.empty() ? rep.parameters : rep.by_levels.front().second;
  size_t first_index = 0;
  if (!heteroskedastic_time)
    while (first_params[first_index].name != "var(e)") ++first_index;
  const ResidualParameter& first = first_params[first_index];
  out.residual.std_error = first.std_error;
  out.residual.conf_low = first.conf_low;
  out.residual.conf_high = first.conf_high;
  out.residual.sd_std_error = first.std_error / (2 * out.residual.std_dev);
  out.residual.sd_conf_low = std::sqrt(first.conf_low);
  out.residual.sd_conf_high = std::sqrt(first.conf_high);
  ev.Update(theta_hat);
  return out;
}

}  // namespace lmm::residual
