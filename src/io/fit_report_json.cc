#include <cmath>

#include "io/fit_report.h"

namespace lmm::io {
namespace {

nlohmann::json Num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

nlohmann::json VarianceJson(const VarianceComponent& vc) {
  nlohmann::json j;
  if (vc.group != "Residual") {
    j["group"] = vc.group;
    j["term"] = vc.term;
  }
  if (vc.term2.empty()) {
    j["variance"] = Num(vc.value);
    j["std_dev"] = Num(vc.std_dev);
    j["std_error"] = Num(vc.std_error);
    j["conf_low"] = Num(vc.conf_low);
    j["conf_high"] = Num(vc.conf_high);
    j["std_dev_std_error"] = Num(vc.sd_std_error);
    j["std_dev_conf_low"] = Num(vc.sd_conf_low);
    j["std_dev_conf_high"] = Num(vc.sd_conf_high);
  } else {
    j["term2"] = vc.term2;
    j["covariance"] = Num(vc.value);
    j["correlation"] = Num(vc.correlation);
    j["std_error"] = Num(vc.std_error);
    j["conf_low"] = Num(vc.conf_low);
    j["conf_high"] = Num(vc.conf_high);
    j["correlation_std_error"] = Num(vc.corr_std_error);
    j["correlation_conf_low"] = Num(vc.corr_conf_low);
    j["correlation_conf_high"] = Num(vc.corr_conf_high);
  }
  return j;
}

nlohmann::json ResidualParametersJson(const std::vector<ResidualParameter>& params) {
  nlohmann::json j = nlohmann::json::object();
  for (const ResidualParameter& p : params)
    j[p.name] = {{"estimate", Num(p.estimate)},
                 {"std_error", Num(p.std_error)},
                 {"conf_low", Num(p.conf_low)},
                 {"conf_high", Num(p.conf_high)}};
  return j;
}

// "residual_structure": {"type", "spec", "order", "time", "by", "cluster", "parameters": {name:
// {estimate, std_error, conf_low, conf_high}}, "by_levels": {level: {name: {...}}}}.
nlohmann::json ResidualStructureJson(const ResidualStructureReport& r) {
  nlohmann::json j;
  j["type"] = r.type;
  j["spec"] = r.spec;
  j["order"] = r.order;
  j["time"] = r.time.empty() ? nlohmann::json() : nlohmann::json(r.time);
  j["by_variable"] = r.by.empty() ? nlohmann::json() : nlohmann::json(r.by);
  j["cluster"] = r.cluster;
  j["parameters"] = ResidualParametersJson(r.parameters);
  j["by"] = nlohmann::json::object();
  for (const auto& [level, params] : r.by_levels) j["by"][level] = ResidualParametersJson(params);
  return j;
}

nlohmann::json DeviceJson(const DeviceReport& d) {
  nlohmann::json j = {{"name", d.name}, {"device_bytes", d.device_bytes}};
  j["one_time_pass"] = d.device_pass ? nlohmann::json{{"rows", d.pass_rows},
                                                      {"chunk_rows", d.pass_chunk_rows},
                                                      {"chunks", d.pass_chunks},
                                                      {"staging_device_bytes",
                                                       d.pass_staging_device_bytes},
                                                      {"pinned_host_bytes",
                                                       d.pass_pinned_host_bytes},
                                                      {"seconds", d.pass_seconds}}
                                     : nlohmann::json();
  return j;
}

}  // namespace

nlohmann::json FitJson(const FitResult& fit) {
  nlohmann::json j;
  j["formula"] = fit.formula;
  j["method"] = fit.reml ? "REML" : "ML";
  j["backend"] = fit.backend;
  j["device"] = fit.has_device ? DeviceJson(fit.device) : nlohmann::json();
  j["backend_note"] = fit.backend_note.empty() ? nlohmann::json() : nlohmann::json(fit.backend_note);
  j["nobs"] = fit.nobs;
  j["rows_read"] = fit.rows_read;
  j["rows_dropped"] = nlohmann::json::object();
  for (const auto& [reason, n] : fit.rows_dropped) j["rows_dropped"][reason] = n;
  j["groups"] = nlohmann::json::array();
  for (const GroupSummary& g : fit.groups)
    j["groups"].push_back(
        {{"name", g.name}, {"levels", g.levels}, {"min", g.min}, {"mean", g.mean}, {"max", g.max}});
  j["aliased"] = fit.aliased;
  const ConvergenceReport& c = fit.convergence;
  j["converged"] = c.converged;
  j["singular"] = c.singular;
  j["convergence"] = {{"max_abs_gradient", Num(c.max_abs_gradient)},
                      {"scaled_gradient", Num(c.scaled_gradient)},
                      {"min_hessian_eigenvalue", Num(c.min_hessian_eigenvalue)},
                      {"message", c.message},
                      {"seconds", c.seconds}};
  j["iterations"] = c.iterations;
  j["evaluations"] = c.evaluations;
  j["theta"] = fit.theta;
  j["loglik"] = Num(fit.loglik);
  j["deviance"] = Num(fit.deviance);
  j["aic"] = Num(fit.aic);
  j["bic"] = Num(fit.bic);
  j["df_model"] = fit.df_model;
  j["ddf_method"] = fit.ddf_method;
  j["ddf_information"] = fit.ddf_information.empty() ? nlohmann::json() : nlohmann::json(fit.ddf_information);
  j["se_method"] = fit.se_method;
  j["response_hash"] = fit.response_hash;
  j["fixed_effects"] = nlohmann::json::array();
  for (const FixedEffect& fe : fit.fixed_effects)
    j["fixed_effects"].push_back({{"term", fe.term},
                                  {"estimate", Num(fe.estimate)},
                                  {"std_error", Num(fe.std_error)},
                                  {"statistic", Num(fe.statistic)},
                                  {"df", Num(fe.df)},
                                  {"p_value", Num(fe.p_value)},
                                  {"conf_low", Num(fe.conf_low)},
                                  {"conf_high", Num(fe.conf_high)}});
  j["random_effects"] = nlohmann::json::array();
  for (const VarianceComponent& vc : fit.random_effects) j["random_effects"].push_back(VarianceJson(vc));
  j["residual"] = VarianceJson(fit.residual);
  if (fit.has_residual_structure) j["residual_structure"] = ResidualStructureJson(fit.residual_structure);
  j["lr_test_vs_linear"] = nlohmann::json();
  if (fit.has_lr_test)
    j["lr_test_vs_linear"] = {{"statistic", Num(fit.lr_test_vs_linear.statistic)},
                              {"df", fit.lr_test_vs_linear.df},
                              {"p_value", Num(fit.lr_test_vs_linear.p_value)},
                              {"kind", fit.lr_test_vs_linear.kind}};
  j["tests"] = nlohmann::json::array();
  for (const FixedEffectsTest& t : fit.tests)
    j["tests"].push_back({{"term", t.term},
                          {"kind", t.kind},
                          {"statistic_type", std::isnan(t.dendf) ? "chi2" : "F"},
                          {"F", std::isnan(t.dendf) ? Num(t.statistic / t.numdf) : Num(t.statistic)},
                          {"chi2", std::isnan(t.dendf) ? Num(t.statistic) : nlohmann::json()},
                          {"numdf", t.numdf},
                          {"dendf", Num(t.dendf)},
                          {"p_value", Num(t.p_value)},
                          {"estimate", Num(t.estimate)},
                          {"std_error", Num(t.std_error)}});
  j["wald_test"] = nlohmann::json();
  if (fit.has_wald_test)
    j["wald_test"] = {{"statistic", Num(fit.wald_test.statistic)},
                      {"df", fit.wald_test.df},
                      {"p_value", Num(fit.wald_test.p_value)}};
  return j;
}

}  // namespace lmm::io
