// `lmmgpu lrtest A.json B.json`: likelihood-ratio test of two fits saved by `fit --format json`,
// as Stata's lrtest after mixed: the model with fewer parameters is the null; both must be fits by
// the same method of the same rows (nobs and the response hash agree), the null's fixed effects a
// subset of the alternative's, and REML fits must have the same fixed effects (their restricted
// likelihoods are of different data otherwise). LR = 2 (loglik_alt - loglik_null) ~ chi2(df),
// df = difference in parameter counts. When the models differ by one variance parameter (same
// fixed effects) the null lies on the boundary: chibar2(01), p = P(chi2_1 > LR) / 2; when they
// differ by several variance parameters the chi2 p-value is conservative (Stata's note).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/commands.h"
#include "cli/output_paths.h"
#include "inference/distributions.h"
#include "io/atomic_file.h"
#include "lmm/error.h"

namespace lmm::cli {
namespace {

using nlohmann::json;

struct SavedFit {
  std::string path, formula, method, response_hash;
  int64_t nobs = 0;
  double loglik = 0, aic = 0, bic = 0;
  int df = 0;
  std::vector<std::string> fixed;
  int variance_parameters = 0;
};

// A count saved by `fit --format json`: a whole number in [1, limit) (a float such as 1e12 would
// overflow the conversion to an integer).
int64_t CountField(const json& j, const char* key, double limit, const std::string& path) {
  const double v = j.at(key).get<double>();
  if (!(v >= 1 && v < limit) || v != std::floor(v))
    throw DataError(
        fmt::format("lrtest: '{}' is not a saved `lmmgpu fit --format json` ({} is {}, "
                    "not a count)",
                    path, key, j.at(key).dump()));
  return static_cast<int64_t>(v);
}

SavedFit ReadFit(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw UsageError(fmt::format("lrtest: '{}' is a directory, not a saved fit", path));
  std::ifstream in(path);
  if (!in) throw UsageError(fmt::format("lrtest: cannot open '{}'", path));
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    throw DataError(fmt::format("lrtest: '{}' is not JSON ({})", path, e.what()));
  }
  SavedFit f;
  f.path = path;
  try {
    f.formula = j.at("formula").get<std::string>();
    f.method = j.at("method").get<std::string>();
    f.nobs = CountField(j, "nobs", 9007199254740992.0, path);
    f.loglik = j.at("loglik").get<double>();
    f.aic = j.at("aic").get<double>();
    f.bic = j.at("bic").get<double>();
    f.df = static_cast<int>(CountField(j, "df_model", 2147483648.0, path));
    for (const json& fe : j.at("fixed_effects"))
      f.fixed.push_back(fe.at("term").get<std::string>());
    if (j.contains("response_hash") && j["response_hash"].is_string())
      f.response_hash = j["response_hash"].get<std::string>();
  } catch (const json::exception& e) {
    throw DataError(
        fmt::format("lrtest: '{}' is not a saved `lmmgpu fit --format json` ({})", path, e.what()));
  }
  f.variance_parameters = f.df - static_cast<int>(f.fixed.size());
  return f;
}

struct LrResult {
  const SavedFit* null = nullptr;
  const SavedFit* alt = nullptr;
  double statistic = 0, p_value = 0;
  int df = 0;
  std::string kind;  // chi2, chibar2(01), chi2-conservative
  std::string note;
};

LrResult Compare(const SavedFit& a, const SavedFit& b) {
  if (a.method != b.method)
    throw UsageError(
        fmt::format("lrtest: '{}' is a {} fit and '{}' a {} fit; compare fits by "
                    "the same method",
                    a.path, a.method, b.path, b.method));
  if (a.nobs != b.nobs ||
      (!a.response_hash.empty() && !b.response_hash.empty() && a.response_hash != b.response_hash))
    throw UsageError(
        fmt::format("lrtest: the fits use different data ({} and {} observations{}); "
                    "an LR test needs the same rows",
                    a.nobs, b.nobs, a.nobs == b.nobs ? ", different responses" : ""));
  if (a.df == b.df)
    throw UsageError(
        fmt::format("lrtest: both fits have {} parameters; nested models differ in "
                    "their number of parameters",
                    a.df));
  LrResult r;
  r.null = a.df < b.df ? &a : &b;
  r.alt = a.df < b.df ? &b : &a;
  const std::set<std::string> fn(r.null->fixed.begin(), r.null->fixed.end());
  const std::set<std::string> fa(r.alt->fixed.begin(), r.alt->fixed.end());
  if (a.method == "REML" && fn != fa)
    throw UsageError(
        "lrtest: REML fits with different fixed effects are not comparable (their restricted "
        "likelihoods are of different linear combinations of the data); refit both with --ml");
  if (!std::includes(fa.begin(), fa.end(), fn.begin(), fn.end()))
    throw UsageError(
        fmt::format("lrtest: the fixed effects of '{}' are not a subset of those of "
                    "'{}'; the models are not nested",
                    r.null->path, r.alt->path));
  if (r.null->variance_parameters > r.alt->variance_parameters)
    throw UsageError(
        fmt::format("lrtest: '{}' has fewer parameters but more variance "
                    "parameters than '{}'; the models are not nested",
                    r.null->path, r.alt->path));
  r.df = r.alt->df - r.null->df;
  r.statistic = 2 * (r.alt->loglik - r.null->loglik);
  if (r.statistic < 0) {
    r.note = "the larger model has the smaller likelihood (a fit did not converge?); LR set to 0. ";
    r.statistic = 0;
  }
  const int dvar = r.alt->variance_parameters - r.null->variance_parameters;
  if (dvar == 1 && r.df == 1) {
    r.kind = "chibar2(01)";
    r.p_value = r.statistic > 0 ? 0.5 * inference::ChiSquaredUpperP(r.statistic, 1) : 1.0;
    r.note +=
        "The null sets a variance on the boundary of the parameter space: p from the 50:50 "
        "mixture of chi2(0) and chi2(1).";
  } else {
    r.kind = dvar > 0 ? "chi2-conservative" : "chi2";
    r.p_value = inference::ChiSquaredUpperP(r.statistic, r.df);
    if (dvar > 0)
      r.note +=
          "The test includes variance parameters on the boundary of the parameter space: "
          "the chi2 reference distribution makes it conservative.";
  }
  return r;
}

json ToJson(const LrResult& r) {
  auto model = [](const SavedFit& f) {
    return json{{"file", f.path}, {"formula", f.formula}, {"method", f.method}, {"nobs", f.nobs},
                {"df", f.df},     {"loglik", f.loglik},   {"aic", f.aic},       {"bic", f.bic}};
  };
  return json{{"null", model(*r.null)},
              {"alternative", model(*r.alt)},
              {"statistic", r.statistic},
              {"df", r.df},
              {"p_value", r.p_value},
              {"kind", r.kind},
              {"note", r.note}};
}

std::string ToText(const LrResult& r) {
  std::string out = "Likelihood-ratio test (" + r.null->method + ")\n";
  out += fmt::format("  {:<6} {:<44} {:>8} {:>4} {:>14} {:>12} {:>12}\n", "Model", "Formula", "Obs",
                     "df", "logLik", "AIC", "BIC");
  auto line = [&](const char* label, const SavedFit& f) {
    out += fmt::format("  {:<6} {:<44} {:>8} {:>4} {:>14.6f} {:>12.4f} {:>12.4f}\n", label,
                       f.formula, f.nobs, f.df, f.loglik, f.aic, f.bic);
  };
  line("null", *r.null);
  line("alt", *r.alt);
  const std::string p = r.p_value < 1e-4 ? "<0.0001" : fmt::format("{:.4f}", r.p_value);
  if (r.kind == "chibar2(01)")
    out += fmt::format("LR chibar2(01) = {:.2f}   Prob >= chibar2 = {}\n", r.statistic, p);
  else
    out += fmt::format("LR chi2({}) = {:.2f}   Prob > chi2 = {}\n", r.df, r.statistic, p);
  if (!r.note.empty()) out += "Note: " + r.note + "\n";
  return out;
}

}  // namespace

Runner AddLrtestCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "lrtest",
      "Likelihood-ratio test of two nested fits saved with `fit --format json` (same data, same "
      "method; REML fits must share their fixed effects), with AIC and BIC side by side.");
  auto files = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>("text");
  auto output = std::make_shared<std::string>();
  command->add_option("fits", *files, "the two saved fits (JSON)")->required()->expected(2);
  command->add_option("--format", *format, "text or json")->check(CLI::IsMember({"text", "json"}));
  command->add_option("--output", *output, "write to this file (atomically) instead of stdout");
  return [command, files, format, output]() {
    if (!command->parsed()) return -1;
    CheckOutputPaths({{"the first fit", (*files)[0]}, {"the second fit", (*files)[1]}},
                     {{"--output", *output}});
    const SavedFit a = ReadFit((*files)[0]);
    const SavedFit b = ReadFit((*files)[1]);
    const LrResult r = Compare(a, b);
    const OutputFile report(*output);
    report.Write(*format == "json" ? ToJson(r).dump(2) + "\n" : ToText(r));
    return 0;
  };
}

}  // namespace lmm::cli
