// Whole `lmmgpu fit` results against lme4 1.1-31 / lmerTest / pbkrtest on model shapes the shared
// references do not cover (tests/data/crossval, made by scripts/crossval_references.R): nested,
// three-level, crossed and partially crossed with slopes, very unbalanced, uncorrelated and
// multiple slopes, a factor random slope, factor fixed effects, a rank-deficient X, large offsets,
// scaled responses, boundary fits, tiny data, missing values and formula syntax, by ML and REML;
// small-sample df and F tests, conditional modes and fitted values where the reference has them.
//
// Tolerances (relative unless said):
// - log-likelihood 1e-6: at an optimum the objective is flat, so theta differences of 1e-5 (the
//   R fits stop at xtol_abs 1e-10, ours tighter) change it by ~1e-10.
// - fixed effects and their SEs 1e-4, or 1e-4 of the SE for an estimate nearer to 0 than its SE
//   (beta and its SE move to first order with theta).
// - variance components 1e-3, plus 1e-7 sigma^2 absolute for components at 0; covariances 1e-3
//   of sqrt(var1 var2) (1e-3 relative is meaningless for a correlation near 0), correlations
//   1e-3 absolute: the profiled objective is flat in theta on the scale of the optimizers'
//   stopping rules (R's fits stop at xtol_rel 1e-12 and are the better of nloptwrap and minqa
//   BOBYQA; observed: loglik 1e-11, beta 4e-8, SEs 1.2e-7, variances 1e-5, df 4e-7).
// - Satterthwaite and Kenward-Roger df, anova F and dendf 1e-2; Kenward-Roger SEs 1e-4.
// - conditional modes 1e-4 of max(|mode|, conditional SD), conditional variances 1e-4, fitted
//   values 1e-5 sigma (first order in theta, as beta).
// For y ~ xbig (xbig = 1e6 + x) the reference is lme4's fit in x carried over exactly (lme4 in
// xbig loses digits to the offset). Cases lmmgpu is known not to converge on are listed in
// crossval_cases.h: there it must report converged = false and reach lme4's own fit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "crossval/crossval_cases.h"
#include "support/cli_runner.h"

namespace lmm {
namespace {

using nlohmann::json;
using testing::RunCli;

constexpr double kLoglikTol = 1e-6;
constexpr double kFixedTol = 1e-4;
constexpr double kVarianceTol = 1e-3;
constexpr double kZeroVarianceTol = 1e-7;
constexpr double kDfTol = 1e-2;

std::string DataPath(const std::string& data) {
  const std::string shared = "shared:";
  if (data.rfind(shared, 0) == 0)
    return std::string(LMM_SHARED_DIR) + "/data/" + data.substr(shared.size());
  return std::string(LMM_TEST_DATA_DIR) + "/crossval/" + data;
}

json Fit(const json& ref, const std::string& ddf, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"fit",
                                   "--format",
                                   "json",
                                   "--backend",
                                   "cpu",
                                   "--data",
                                   DataPath(ref["data"]),
                                   "--formula",
                                   ref["formula"],
                                   ref["method"] == "ML" ? "--ml" : "--reml"};
  if (!ddf.empty()) args.insert(args.end(), {"--ddf", ddf});
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = RunCli(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? json::parse(r.out) : json();
}

void ExpectRelNear(double got, double want, double rel, double abs, const std::string& what) {
  EXPECT_NEAR(got, want, rel * std::abs(want) + abs) << what;
}

const json* FindFixed(const json& fit, const std::string& term) {
  for (const json& fe : fit["fixed_effects"])
    if (fe["term"] == term) return &fe;
  return nullptr;
}

const json* FindComponent(const json& fit, const json& vc) {
  for (const json& e : fit["random_effects"]) {
    if (e["group"] != vc["group"] || e["term"] != vc["var1"]) continue;
    if (vc["var2"].is_null() ? !e.contains("term2")
                             : (e.contains("term2") && e["term2"] == vc["var2"]))
      return &e;
  }
  return nullptr;
}

void CompareFixed(const json& fit, const json& ref) {
  EXPECT_EQ(fit["fixed_effects"].size(), ref["fixed"].size())
      << "lme4 keeps " << ref["fixed"].dump();
  for (const auto& [term, r] : ref["fixed"].items()) {
    const json* fe = FindFixed(fit, term);
    ASSERT_NE(fe, nullptr) << "no coefficient " << term;
    const double se = r["se"];
    EXPECT_NEAR((*fe)["estimate"].get<double>(), r["estimate"].get<double>(),
                kFixedTol * std::max(std::abs(r["estimate"].get<double>()), se))
        << term;
    ExpectRelNear((*fe)["std_error"], se, kFixedTol, 0, term + " SE");
  }
}

void CompareVariances(const json& fit, const json& ref) {
  const double sigma2 = ref["sigma"].get<double>() * ref["sigma"].get<double>();
  const double zero_tol = kZeroVarianceTol * sigma2;
  for (const json& vc : ref["varcomp"]) {
    const double want = vc["vcov"];
    if (vc["group"] == "Residual") {
      ExpectRelNear(fit["residual"]["variance"], want, kVarianceTol, 0, "residual variance");
      continue;
    }
    const json* got = FindComponent(fit, vc);
    ASSERT_NE(got, nullptr) << "no component " << vc.dump();
    if (vc["var2"].is_null()) {
      ExpectRelNear((*got)["variance"], want, kVarianceTol, zero_tol, vc.dump());
    } else {
      const double scale = std::abs(want / vc["sdcor"].get<double>());  // sqrt(var1 var2)
      EXPECT_NEAR((*got)["covariance"].get<double>(), want, kVarianceTol * scale + zero_tol)
          << vc.dump();
      EXPECT_NEAR((*got)["correlation"].get<double>(), vc["sdcor"].get<double>(), kVarianceTol)
          << vc.dump();
    }
  }
}

void CompareDdf(const json& ref, const std::string& method, const std::string& df_key) {
  const json fit = Fit(ref, method);
  ASSERT_FALSE(fit.is_null());
  for (const auto& [term, r] : ref["fixed"].items()) {
    const json* fe = FindFixed(fit, term);
    ASSERT_NE(fe, nullptr) << term;
    ASSERT_FALSE((*fe)["df"].is_null()) << method << " " << term;
    ExpectRelNear((*fe)["df"], r[df_key], kDfTol, 0, method + " df " + term);
    if (method == "kenward-roger")
      ExpectRelNear((*fe)["std_error"], r["se_kenward_roger"], kFixedTol, 0, "KR SE " + term);
  }
  // F tests: lmerTest's anova(type = 3) per term and contestMD of all but the intercept.
  const bool kr = method == "kenward-roger";
  json tests = ref["anova"].is_null() ? json::object() : ref["anova"];
  if (!ref["joint"].is_null()) tests["all but (Intercept)"] = ref["joint"];
  for (const auto& [term, a] : tests.items()) {
    const json* test = nullptr;
    for (const json& t : fit["tests"])
      if (t["kind"] != "contrast" && t["term"] == term) test = &t;
    ASSERT_NE(test, nullptr) << "no test of " << term;
    ExpectRelNear((*test)["F"], a[kr ? "F_kenward_roger" : "F"], kFixedTol, 0,
                  method + " F " + term);
    EXPECT_EQ((*test)["numdf"].get<double>(), a["numdf"].get<double>()) << term;
    ExpectRelNear((*test)["dendf"], a[kr ? "dendf_kenward_roger" : "dendf_satterthwaite"], kDfTol,
                  0, method + " dendf " + term);
  }
}

// Rows of a CSV without quoted fields (lmmgpu's --ranef and --predict files), header skipped.
std::vector<std::vector<std::string>> CsvRows(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(testing::ReadFile(path));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::istringstream fs(line);
    for (std::string f; std::getline(fs, f, ',');) fields.push_back(f);
    rows.push_back(fields);
  }
  return rows;
}

// lme4's ranef() names the terms of (x || g) all "g"; lmmgpu names them g, g.1, ... as VarCorr.
std::string Lme4RanefGroup(const std::string& group, const json& ref_groups) {
  if (ref_groups.contains(group)) return group;
  return group.substr(0, group.find_last_of('.'));
}

void CompareModes(const json& ref) {
  const json& modes = ref["modes"];
  testing::TempDir dir;
  const std::string ranef = dir.path() + "/ranef.csv", predict = dir.path() + "/predict.csv";
  ASSERT_FALSE(Fit(ref, "", {"--ranef", ranef, "--predict", predict}).is_null());
  std::map<std::string, const json*> want;
  for (const json& r : modes["ranef"])
    want[r["group"].get<std::string>() + "|" + r["level"].get<std::string>() + "|" +
         r["term"].get<std::string>()] = &r;
  const auto rows = CsvRows(ranef);
  EXPECT_EQ(rows.size(), want.size());
  for (const auto& f : rows) {
    ASSERT_EQ(f.size(), 5u);
    const std::string key = Lme4RanefGroup(f[0], ref["ngroups"]) + "|" + f[1] + "|" + f[2];
    const auto it = want.find(key);
    ASSERT_NE(it, want.end()) << "lme4 has no mode " << key;
    const double mode = (*it->second)["condval"], var = (*it->second)["condvar"];
    EXPECT_NEAR(std::stod(f[3]), mode, kFixedTol * std::max(std::abs(mode), std::sqrt(var))) << key;
    ExpectRelNear(std::stod(f[4]), var, kFixedTol, 0, key + " cond var");
  }
  const auto fitted = CsvRows(predict);
  ASSERT_EQ(fitted.size(), modes["fitted"].size());
  for (size_t i = 0; i < fitted.size(); ++i) {
    EXPECT_EQ(std::stoi(fitted[i][0]), modes["fitted_rows"][i].get<int>());
    EXPECT_NEAR(std::stod(fitted[i][2]), modes["fitted"][i].get<double>(),
                1e-5 * ref["sigma"].get<double>())
        << "row " << fitted[i][0];
  }
}

class CrossvalTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CrossvalTest, MatchesLme4) {
  const json ref =
      json::parse(std::ifstream(std::string(LMM_TEST_DATA_DIR) + "/crossval/" + GetParam()));
  if (ref["data"].get<std::string>().rfind("shared:", 0) == 0 &&
      !std::filesystem::exists(DataPath(ref["data"])))
    GTEST_SKIP() << "no ../shared/data";
  SCOPED_TRACE(ref["name"].get<std::string>() + ": " + ref["formula"].get<std::string>());
  const json fit = Fit(ref, "");
  ASSERT_FALSE(fit.is_null());
  EXPECT_EQ(fit["method"], ref["method"]);
  EXPECT_EQ(fit["nobs"], ref["nobs"]);
  EXPECT_EQ(fit["df_model"], ref["df_model"]);
  const double ll = fit["loglik"], ll_ref = ref["loglik"];
  if (const char* why = crossval::KnownNonConvergence(ref["name"])) {
    if (!fit["converged"].get<bool>()) {
      const double ll_lme4 = ref["lme4_direct_loglik"];
      EXPECT_GE(ll, ll_lme4 - kLoglikTol * std::abs(ll_lme4)) << why;
      return;
    }
  }
  EXPECT_TRUE(fit["converged"].get<bool>());
  ExpectRelNear(ll, ll_ref, kLoglikTol, 0, "loglik");
  ExpectRelNear(fit["aic"], ref["aic"], kLoglikTol, 0, "AIC");
  ExpectRelNear(fit["bic"], ref["bic"], kLoglikTol, 0, "BIC");
  EXPECT_EQ(fit["singular"].get<bool>(), ref["singular"].get<bool>());
  for (const json& g : fit["groups"])
    EXPECT_EQ(g["levels"], ref["ngroups"].value(g["name"].get<std::string>(), json())) << g["name"];
  EXPECT_EQ(fit["aliased"], ref["dropped"]);
  CompareFixed(fit, ref);
  CompareVariances(fit, ref);
  if (ref["fixed"].begin()->contains("df_satterthwaite")) {
    CompareDdf(ref, "satterthwaite", "df_satterthwaite");
    CompareDdf(ref, "kenward-roger", "df_kenward_roger");
  }
  if (!ref["modes"].is_null()) CompareModes(ref);
}

std::vector<std::string> ReferenceFiles() {
  std::vector<std::string> names;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(LMM_TEST_DATA_DIR) + "/crossval"))
    if (e.path().extension() == ".json") names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string CaseName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param.substr(0, info.param.size() - std::string(".json").size());
}

INSTANTIATE_TEST_SUITE_P(Lme4, CrossvalTest, ::testing::ValuesIn(ReferenceFiles()), CaseName);

// 56 shapes, most by ML and REML (scripts/crossval_references.R).
TEST(Crossval, HasEveryCase) { EXPECT_EQ(ReferenceFiles().size(), 97u); }

}  // namespace
}  // namespace lmm
