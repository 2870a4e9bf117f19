#include <fmt/format.h>

#include <cmath>

#include "io/fit_report.h"

namespace lmm::io {
namespace {

std::string G(double v, int digits = 6) {
  if (!std::isfinite(v)) return ".";
  return fmt::format("{:.{}g}", v, digits);
}

std::string P(double p) {
  if (!std::isfinite(p)) return ".";
  return p < 1e-4 ? "<0.0001" : fmt::format("{:.4f}", p);
}

void Header(const FitResult& f, std::string& out) {
  out += fmt::format("Linear mixed model fit by {} ({} backend)\n", f.reml ? "REML" : "maximum likelihood",
                     f.backend);
  if (!f.backend_note.empty()) out += "Note: " + f.backend_note + "\n";
  if (f.has_device) {
    const DeviceReport& d = f.device;
    out += fmt::format("Device: {}, {:.1f} MiB held", d.name, d.device_bytes / 1048576.0);
    if (d.device_pass)
      out += fmt::format("; rows summed on the device in {} chunks of {} rows ({:.1f} MiB pinned, "
                         "{:.3f} s)",
                         d.pass_chunks, d.pass_chunk_rows, d.pass_pinned_host_bytes / 1048576.0,
                         d.pass_seconds);
    out += "\n";
  }
  out += fmt::format("Formula: {}\n", f.formula);
  int64_t dropped = 0;
  for (const auto& [reason, n] : f.rows_dropped) dropped += n;
  out += fmt::format("Number of obs: {} ({} rows read, {} dropped", f.nobs, f.rows_read, dropped);
  for (const auto& [reason, n] : f.rows_dropped) out += fmt::format("; {}: {}", reason, n);
  out += ")\n";
  if (!f.aliased.empty()) {
    out += "Dropped as linearly dependent:";
    for (const auto& a : f.aliased) out += " " + a;
    out += "\n";
  }
  out += fmt::format("\n  {:<20} {:>9} {:>9} {:>9} {:>9}\n", "Group", "Levels", "Obs min",
                     "Obs avg", "Obs max");
  for (const GroupSummary& g : f.groups)
    out += fmt::format("  {:<20} {:>9} {:>9} {:>9.1f} {:>9}\n", g.name, g.levels, g.min, g.mean,
                       g.max);
  out += fmt::format("\n{} = {:.6f}   deviance = {:.4f}\nAIC = {:.4f}   BIC = {:.4f}   df = {}\n",
                     f.reml ? "Log restricted-likelihood" : "Log likelihood", f.loglik, f.deviance,
                     f.aic, f.bic, f.df_model);
  const ConvergenceReport& c = f.convergence;
  out += fmt::format(
      "Converged: {} (max |gradient| {}, scaled {}, min Hessian eigenvalue {}); {} iterations, {} "
      "evaluations, {:.3f} s\n",
      c.converged ? "yes" : "NO", G(c.max_abs_gradient, 3), G(c.scaled_gradient, 3),
      G(c.min_hessian_eigenvalue, 3),
      c.iterations, c.evaluations, c.seconds);
  if (!c.converged && !c.message.empty()) out += "Warning: " + c.message + "\n";
  if (c.singular) out += "boundary (singular) fit: some variance component is zero or a correlation is +-1\n";
}

// "[95% Conf." for level 0.95 (Stata's column title).
std::string ConfTitle(double level) { return fmt::format("[{:g}% Conf.", 100 * level); }

void FixedTable(const FitResult& f, double level, std::string& out) {
  if (f.ddf_method == "none") {
    out +=
        fmt::format("\nFixed effects:\n  {:<24} {:>12} {:>12} {:>9} {:>9} {:>12} {:>12}\n", "Term",
                    "Estimate", "Std. Error", "z", "P>|z|", ConfTitle(level), "Interval]");
    for (const FixedEffect& fe : f.fixed_effects)
      out += fmt::format("  {:<24} {:>12} {:>12} {:>9} {:>9} {:>12} {:>12}\n", fe.term,
                         G(fe.estimate), G(fe.std_error), G(fe.statistic, 4), P(fe.p_value),
                         G(fe.conf_low), G(fe.conf_high));
  } else {
    out += fmt::format("\nFixed effects (DF method: {}{}{}):\n", f.ddf_method,
                       f.ddf_information.empty() ? "" : ", " + f.ddf_information + " information",
                       f.se_method == "kenward-roger" ? "; Kenward-Roger adjusted SEs" : "");
    out += fmt::format("  {:<24} {:>12} {:>12} {:>9} {:>9} {:>9} {:>12} {:>12}\n", "Term",
                       "Estimate", "Std. Error", "df", "t", "P>|t|", ConfTitle(level), "Interval]");
    for (const FixedEffect& fe : f.fixed_effects)
      out += fmt::format("  {:<24} {:>12} {:>12} {:>9} {:>9} {:>9} {:>12} {:>12}\n", fe.term,
                         G(fe.estimate), G(fe.std_error), G(fe.df, 4), G(fe.statistic, 4),
                         P(fe.p_value), G(fe.conf_low), G(fe.conf_high));
  }
  if (f.has_wald_test && f.ddf_method == "none")
    out += fmt::format("Wald chi2({}) = {:.2f}   Prob > chi2 = {}\n", f.wald_test.df,
                       f.wald_test.statistic, P(f.wald_test.p_value));
}

void TestsTable(const FitResult& f, std::string& out) {
  if (f.tests.empty()) return;
  out += fmt::format("\nTests of fixed effects{}:\n  {:<32} {:>10} {:>6} {:>10} {:>9}\n",
                     f.ddf_method == "none" ? " (Wald chi2)" : "", "Term", "Statistic", "df",
                     "Den. df", "P");
  for (const FixedEffectsTest& t : f.tests) {
    const bool chi2 = std::isnan(t.dendf);
    out += fmt::format("  {:<32} {:>10} {:>6} {:>10} {:>9}\n", t.term,
                       (chi2 ? "chi2 " : "F ") + G(t.statistic, 5), t.numdf, G(t.dendf, 5),
                       P(t.p_value));
  }
}

// Stata's "Residual: AR(2)" block: the structure's parameters, then var(e) (per by level).
void ResidualStructureBlock(const FitResult& f, std::string& out) {
  const ResidualStructureReport& r = f.residual_structure;
  std::string title = "Residual: " + r.type;
  if (r.order > 0) title += fmt::format("({})", r.order);
  if (!r.time.empty()) title += ", time " + r.time;
  if (!r.by.empty()) title += ", by " + r.by;
  title += ", clusters " + r.cluster;
  out += "  " + title + "\n";
  auto rows = [&out](const std::vector<ResidualParameter>& params, const std::string& prefix) {
    for (const ResidualParameter& p : params)
      out += fmt::format("  {:<16} {:<28} {:>11} {:>10} {:>7} {:>11} {:>11} {:>11}\n", "",
                         prefix + p.name, G(p.estimate), "", "", G(p.std_error), G(p.conf_low),
                         G(p.conf_high));
  };
  rows(r.parameters, "");
  for (const auto& [level, params] : r.by_levels) rows(params, r.by + "=" + level + ": ");
}

void RandomTable(const FitResult& f, double level, std::string& out) {
  out += fmt::format(
      "\nRandom effects:\n  {:<16} {:<28} {:>11} {:>10} {:>7} {:>11} {:>11} {:>11}\n", "Group",
      "Term", "Variance", "Std.Dev.", "Corr.", "Std. Err.", ConfTitle(level), "Interval]");
  std::string last_group;
  for (const VarianceComponent& vc : f.random_effects) {
    const std::string group = vc.group == last_group ? "" : vc.group;
    last_group = vc.group;
    if (vc.term2.empty())
      out += fmt::format("  {:<16} {:<28} {:>11} {:>10} {:>7} {:>11} {:>11} {:>11}\n", group, vc.term,
                         G(vc.value), G(vc.std_dev), "", G(vc.std_error), G(vc.conf_low),
                         G(vc.conf_high));
    else
      out += fmt::format("  {:<16} {:<28} {:>11} {:>10} {:>7} {:>11} {:>11} {:>11}\n", group,
                         "cov(" + vc.term + "," + vc.term2 + ")", G(vc.value), "",
                         G(vc.correlation, 3), G(vc.std_error), G(vc.conf_low), G(vc.conf_high));
  }
  const VarianceComponent& r = f.residual;
  if (f.has_residual_structure)
    ResidualStructureBlock(f, out);
  else
    out += fmt::format("  {:<16} {:<28} {:>11} {:>10} {:>7} {:>11} {:>11} {:>11}\n", "Residual", "",
                       G(r.value), G(r.std_dev), "", G(r.std_error), G(r.conf_low), G(r.conf_high));
  if (f.has_lr_test) {
    const LikelihoodRatioTest& lr = f.lr_test_vs_linear;
    if (lr.kind == "chibar2")
      out += fmt::format("LR test vs. linear model: chibar2(01) = {:.2f}   Prob >= chibar2 = {}\n",
                         lr.statistic, P(lr.p_value));
    else
      out += fmt::format(
          "LR test vs. linear model: chi2({}) = {:.2f}   Prob > chi2 = {}\n"
          "Note: LR test is conservative and provided only for reference.\n",
          lr.df, lr.statistic, P(lr.p_value));
  }
}

}  // namespace

std::string FitText(const FitResult& fit, double level) {
  std::string out;
  Header(fit, out);
  FixedTable(fit, level, out);
  TestsTable(fit, out);
  RandomTable(fit, level, out);
  return out;
}

}  // namespace lmm::io
