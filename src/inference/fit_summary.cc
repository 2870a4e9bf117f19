#include "inference/fit_summary.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

namespace lmm::inference {

std::string ResponseHash(const ModelFrame& frame) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](uint64_t v) {
    for (int b = 0; b < 8; ++b) {
      h ^= (v >> (8 * b)) & 0xffU;
      h *= 1099511628211ULL;
    }
  };
  mix(static_cast<uint64_t>(frame.n()));
  for (Eigen::Index i = 0; i < frame.y.size(); ++i) {
    uint64_t bits = 0;
    const double v = frame.y(i);
    std::memcpy(&bits, &v, sizeof bits);
    mix(bits);
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

void CopyFrameFacts(const ModelFrame& frame, FitResult& fit) {
  CopyFrameFacts(frame, ResponseHash(frame), fit);
}

void CopyFrameFacts(const ModelFrame& frame, std::string response_hash, FitResult& fit) {
  fit.formula = frame.formula;
  fit.nobs = frame.n();
  fit.rows_read = frame.rows_read;
  fit.rows_dropped = frame.rows_dropped;
  fit.groups = frame.groups;
  fit.aliased = frame.aliased;
  fit.response_hash = std::move(response_hash);
}

double ScaledGradient(const ConvergenceInfo& info) {
  std::vector<Eigen::Index> free;
  for (Eigen::Index i = 0; i < info.gradient.size(); ++i)
    if (!info.at_bound[static_cast<size_t>(i)]) free.push_back(i);
  if (free.empty()) return 0.0;
  const auto k = static_cast<Eigen::Index>(free.size());
  Eigen::MatrixXd h(k, k);
  Eigen::VectorXd g(k);
  for (Eigen::Index a = 0; a < k; ++a) {
    g(a) = info.gradient(free[a]);
    for (Eigen::Index b = 0; b < k; ++b) h(a, b) = info.hessian(free[a], free[b]);
  }
  const Eigen::LLT<Eigen::MatrixXd> llt(h);
  if (llt.info() != Eigen::Success) return g.cwiseAbs().maxCoeff();
  // chol(H) in R is the upper factor U (H = U'U); solve(U, g).
  return llt.matrixU().solve(g).cwiseAbs().maxCoeff();
}

void CopyDeviceReport(const Evaluator& ev, FitResult& fit) {
  const std::optional<DeviceReport> report = ev.device_report();
  fit.has_device = report.has_value();
  if (report) fit.device = *report;
}

void CopyConvergence(const FitCoreResult& core, FitResult& fit) {
  ConvergenceReport& c = fit.convergence;
  c.singular = core.convergence.singular;
  c.max_abs_gradient = core.convergence.max_abs_gradient;
  c.min_hessian_eigenvalue = core.convergence.min_hessian_eigenvalue;
  c.iterations = core.optimizer.iterations;
  c.evaluations = core.optimizer.evaluations;
  c.seconds = core.seconds;
  c.scaled_gradient = ScaledGradient(core.convergence);
  const bool gradient_ok = c.scaled_gradient < 2e-3;
  const bool hessian_ok = !(c.min_hessian_eigenvalue < 0) || c.singular;
  c.converged = core.optimizer.converged && gradient_ok && hessian_ok;
  if (!core.optimizer.converged)
    c.message = "optimizer stopped: " + core.optimizer.status;
  else if (!gradient_ok)
    c.message = "gradient at the optimum is not near zero";
  else if (!hessian_ok)
    c.message = "Hessian at the optimum is not positive semidefinite";
}

void AddResponseOffset(const ModelFrame& frame, FitCoreResult& core) {
  if (frame.response_offset == 0) return;
  for (int j = 0; j < frame.p(); ++j)
    if (frame.fixed_names[static_cast<size_t>(j)] == "(Intercept)")
      core.beta(j) += frame.response_offset;
}

void CollectModes(const ModelFrame& frame, const FitCoreResult& core, FitResult& fit) {
  fit.fitted = frame.x * core.beta;
  for (size_t t = 0; t < frame.random.size(); ++t) {
    const RandomEffectTerm& re = frame.random[t];
    const TermEstimates& est = core.terms[t];
    RandomEffectModes m;
    m.group = re.group;
    m.names = re.names;
    m.level_labels = re.level_labels;
    m.modes = est.modes;
    m.conditional_variances = est.conditional_variances;
    for (Eigen::Index i = 0; i < frame.n(); ++i)
      fit.fitted(i) += re.z.row(i).dot(est.modes.row(re.level[static_cast<size_t>(i)]));
    fit.modes.push_back(std::move(m));
  }
}

}  // namespace lmm::inference
