// `lmmgpu fit --residuals` end to end: the JSON keys against the Ovary AR(2) reference
// (../shared/reference/ovary_ar2_reml.json, nlme) and the exit code and message of bad specs.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace lmm {
namespace {

using nlohmann::json;

struct CliRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CliRun RunFit(const std::string& args) {
  const std::string command = std::string(LMMGPU_EXE) + " fit " + args + " 2>&1";
  CliRun r;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buffer;
  size_t got = 0;
  while ((got = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    r.output.append(buffer.data(), got);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

const std::string kOvary = std::string(LMM_SHARED_DIR) + "/data/ovary.csv";

TEST(ResidualCli, OvaryAr2JsonMatchesReference) {
  const json ref =
      json::parse(std::ifstream(std::string(LMM_SHARED_DIR) + "/reference/ovary_ar2_reml.json"));
  const CliRun r = RunFit("--data " + kOvary + " --formula 'follicles ~ sin1 + cos1 + (1 | Mare)'" +
                          " --residuals 'ar(2, time = time)' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json fit = json::parse(r.output);
  EXPECT_NEAR(fit["loglik"].get<double>(), ref["loglik"].get<double>(), 1e-3);
  EXPECT_EQ(fit["df_model"], ref["df_model"]);
  EXPECT_EQ(fit["nobs"], ref["nobs"]);
  EXPECT_NEAR(fit["aic"].get<double>(), ref["aic"].get<double>(), 1e-3);
  const json& rs = fit["residual_structure"];
  EXPECT_EQ(rs["type"], "ar");
  EXPECT_EQ(rs["order"], 2);
  EXPECT_EQ(rs["time"], "time");
  EXPECT_EQ(rs["cluster"], "Mare");
  EXPECT_TRUE(rs["by"].empty());
  // The reference's printed digits: phi 1e-4, variances 1e-3 relative.
  EXPECT_NEAR(rs["parameters"]["phi1"]["estimate"].get<double>(), 0.5386, 1e-4);
  EXPECT_NEAR(rs["parameters"]["phi2"]["estimate"].get<double>(), 0.1447, 1e-4);
  EXPECT_NEAR(rs["parameters"]["var(e)"]["estimate"].get<double>(), 14.25, 1e-2);
  EXPECT_NEAR(fit["residual"]["variance"].get<double>(), 14.25, 1e-2);
  EXPECT_NEAR(fit["random_effects"][0]["variance"].get<double>(), 7.093, 1e-3);
  for (const auto& [name, fe] : ref["fixed"].items()) {
    bool found = false;
    for (const json& f : fit["fixed_effects"])
      if (f["term"] == name) {
        found = true;
        EXPECT_NEAR(f["estimate"].get<double>(), fe["estimate"].get<double>(),
                    1e-3 * fe["se"].get<double>())
            << name;
        EXPECT_NEAR(f["std_error"].get<double>(), fe["se"].get<double>(),
                    1e-3 * fe["se"].get<double>())
            << name;
      }
    EXPECT_TRUE(found) << name;
  }
}

TEST(ResidualCli, TextReportHasStructureBlock) {
  const CliRun r = RunFit("--data " + kOvary + " --formula 'follicles ~ sin1 + cos1 + (1 | Mare)'" +
                          " --residuals 'exponential(time = Time)' --ml");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Residual: exponential, time Time, clusters Mare"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(" rho "), std::string::npos);
  EXPECT_NE(r.output.find(" var(e) "), std::string::npos);
  EXPECT_NE(r.output.find("LR test vs. linear model: chi2(2)"), std::string::npos);
}

// Exchangeable as Stata reports it: rho, var(e) and cov(e) = rho var(e); the nlme fixture
// (sleepstudy_exchangeable_reml) fixes rho and sigma^2.
TEST(ResidualCli, ExchangeableReportsCovarianceAsStata) {
  const json ref = json::parse(std::ifstream(std::string(LMM_TEST_DATA_DIR) +
                                             "/residual/sleepstudy_exchangeable_reml.json"));
  const CliRun r = RunFit("--data " + std::string(LMM_SHARED_DIR) + "/data/sleepstudy.csv" +
                          " --formula 'Reaction ~ Days + (0 + Days | Subject)'" +
                          " --residuals exchangeable --format json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json p = json::parse(r.output)["residual_structure"]["parameters"];
  const double rho = ref["residual_params"]["rho"].get<double>();
  const double var = ref["sigma2"].get<double>();
  EXPECT_NEAR(p["rho"]["estimate"].get<double>(), rho, 2e-3);
  EXPECT_NEAR(p["var(e)"]["estimate"].get<double>(), var, 2e-3 * var);
  EXPECT_NEAR(p["cov(e)"]["estimate"].get<double>(), rho * var, 4e-3 * rho * var);
  EXPECT_GT(p["cov(e)"]["std_error"].get<double>(), 0);
}

TEST(ResidualCli, BadSpecsExitWithUsageErrors) {
  const std::string base = "--data " + kOvary + " --formula 'follicles ~ sin1 + cos1 + (1 | Mare)'";
  CliRun r = RunFit(base + " --residuals 'ar(2)'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("ar needs a time variable"), std::string::npos) << r.output;
  r = RunFit(base + " --residuals 'ar(1, time = Time)'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("must be integer-valued"), std::string::npos) << r.output;
  r = RunFit(base + " --residuals 'ar(1, time = nosuch)'");
  EXPECT_EQ(r.exit_code, 2);
  r = RunFit(base + " --residuals 'ar(1, time = time)' --ddf residual");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--ddf is not available with --residuals"), std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace lmm
