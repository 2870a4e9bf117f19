// Satterthwaite and Kenward-Roger against R: lmerTest 3.1 (Satterthwaite df, anova type III) and
// pbkrtest 0.5 (Kenward-Roger df, adjusted SEs, scaled F). Two sets of fixtures:
//  ../shared/reference/*_reml.json (balanced designs: the acceptance cases), and
//  tests/data/inference/*.json from scripts/ddf_references.R (unbalanced or crossed designs where
//  the Kenward-Roger adjustment of the SEs is not zero, and a joint test of all coefficients but
//  the intercept).
// Tolerance 1%, the issue's: lmerTest differentiates numerically (its df carry ~1e-7 relative
// error) and the optimum itself is known to ~1e-6; our df agree far better than 1% where the
// derivatives are exact, so a 1% miss means a wrong formula, not noise.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "inference/ddf_test_util.h"

namespace lmm {
namespace {

using nlohmann::json;
using testing::RelErr;

constexpr double kTol = 0.01;

struct Case {
  std::string json_path;
  std::string data_path;
};

std::vector<Case> SharedCases() {
  std::vector<Case> out;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::SharedDir() + "/reference")) {
    const json ref = testing::ReadJson(entry.path().string());
    if (ref["method"] != "REML" || !ref.contains("fixed")) continue;
    bool has = false;
    for (const auto& [name, fe] : ref["fixed"].items())
      has = has || fe.contains("df_kenward_roger");
    if (!has) continue;
    const std::string data = ref["data"].get<std::string>();
    out.push_back({entry.path().string(),
                   testing::SharedDir() + "/" + data.substr(std::string("shared/").size())});
  }
  return out;
}

std::vector<Case> LocalCases() {
  std::vector<Case> out;
  const std::string dir = testing::TestDataDir() + "/inference";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    const json ref = testing::ReadJson(entry.path().string());
    const std::string data = ref["data"].get<std::string>();
    const std::string path =
        data.rfind("../", 0) == 0
            ? testing::SharedDir() + "/data/" + std::filesystem::path(data).filename().string()
            : dir + "/" + data;
    out.push_back({entry.path().string(), path});
  }
  return out;
}

const FixedEffectsTest* FindTest(const FitResult& fit, const std::string& term) {
  for (const FixedEffectsTest& t : fit.tests)
    if (t.term == term) return &t;
  return nullptr;
}

void CheckCase(const Case& c) {
  const json ref = testing::ReadJson(c.json_path);
  SCOPED_TRACE(c.json_path);
  const ModelFrame frame = testing::LoadFrame(c.data_path, ref["formula"]);
  const FitResult sat = testing::FitWith(frame, DdfMethod::kSatterthwaite);
  const FitResult kr = testing::FitWith(frame, DdfMethod::kKenwardRoger);
  EXPECT_EQ(sat.ddf_method, "satterthwaite");
  EXPECT_EQ(sat.ddf_information, "observed");
  EXPECT_EQ(kr.ddf_information, "expected");
  EXPECT_EQ(kr.se_method, "kenward-roger");
  int checked = 0;
  for (size_t j = 0; j < sat.fixed_effects.size(); ++j) {
    const std::string& term = sat.fixed_effects[j].term;
    ASSERT_TRUE(ref["fixed"].contains(term)) << term;
    const json& fe = ref["fixed"][term];
    SCOPED_TRACE(term);
    EXPECT_LT(RelErr(sat.fixed_effects[j].df, fe["df_satterthwaite"]), kTol)
        << sat.fixed_effects[j].df << " vs " << fe["df_satterthwaite"];
    EXPECT_LT(RelErr(kr.fixed_effects[j].df, fe["df_kenward_roger"]), kTol)
        << kr.fixed_effects[j].df << " vs " << fe["df_kenward_roger"];
    EXPECT_LT(RelErr(kr.fixed_effects[j].std_error, fe["se_kenward_roger"]), kTol);
    // The adjustment itself (SE_KR - SE), where R's is visible, to 5% of its size.
    const double adj_ref = fe["se_kenward_roger"].get<double>() - fe["se"].get<double>();
    if (std::abs(adj_ref) > 1e-4 * fe["se"].get<double>()) {
      EXPECT_NEAR(kr.fixed_effects[j].std_error - sat.fixed_effects[j].std_error, adj_ref,
                  0.05 * std::abs(adj_ref));
    }
    ++checked;
  }
  EXPECT_GT(checked, 0);
  if (ref.contains("anova")) {
    for (const auto& [term, a] : ref["anova"].items()) {
      SCOPED_TRACE("anova " + term);
      const FixedEffectsTest* ts = FindTest(sat, term);
      const FixedEffectsTest* tk = FindTest(kr, term);
      ASSERT_NE(ts, nullptr);
      ASSERT_NE(tk, nullptr);
      EXPECT_EQ(ts->numdf, a["numdf"].get<int>());
      EXPECT_LT(RelErr(ts->statistic, a["F"]), kTol);
      EXPECT_LT(RelErr(ts->dendf, a["dendf_satterthwaite"]), kTol);
      EXPECT_LT(RelErr(tk->statistic, a["F_kenward_roger"]), kTol);
      EXPECT_LT(RelErr(tk->dendf, a["dendf_kenward_roger"]), kTol);
    }
  }
  if (ref.contains("joint")) {
    const json& a = ref["joint"];
    const FixedEffectsTest* ts = FindTest(sat, "all but (Intercept)");
    const FixedEffectsTest* tk = FindTest(kr, "all but (Intercept)");
    ASSERT_NE(ts, nullptr);
    ASSERT_NE(tk, nullptr);
    EXPECT_EQ(ts->numdf, a["numdf"].get<int>());
    EXPECT_LT(RelErr(ts->statistic, a["F"]), kTol);
    EXPECT_LT(RelErr(ts->dendf, a["dendf_satterthwaite"]), kTol);
    EXPECT_LT(RelErr(tk->statistic, a["F_kenward_roger"]), kTol);
    EXPECT_LT(RelErr(tk->dendf, a["dendf_kenward_roger"]), kTol);
  }
}

TEST(DdfReference, SharedReferenceCases) {
  const std::vector<Case> cases = SharedCases();
  EXPECT_GE(cases.size(), 7u);
  for (const Case& c : cases) CheckCase(c);
}

TEST(DdfReference, UnbalancedAndCrossedCases) {
  const std::vector<Case> cases = LocalCases();
  EXPECT_GE(cases.size(), 5u);
  for (const Case& c : cases) CheckCase(c);
}

TEST(DdfReference, MlIsRefusedForSatterthwaiteAndKenwardRoger) {
  const ModelFrame frame = testing::LoadFrame(testing::SharedDir() + "/data/t43.csv",
                                              "score ~ factor(drug) + (1 | person)");
  for (DdfMethod m : {DdfMethod::kSatterthwaite, DdfMethod::kKenwardRoger}) {
    try {
      testing::FitWith(frame, m, InformationChoice::kDefault, /*reml=*/false);
      ADD_FAILURE() << "ML accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUsage);
      EXPECT_NE(std::string(e.what()).find("REML"), std::string::npos) << e.what();
    }
  }
  // The exact methods work under ML.
  const FitResult ml = testing::FitWith(frame, DdfMethod::kResidual, InformationChoice::kDefault,
                                        /*reml=*/false);
  EXPECT_EQ(ml.fixed_effects[1].df, 16);
}

}  // namespace
}  // namespace lmm
