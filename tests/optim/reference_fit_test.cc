// Whole fits (FitCore: BOBYQA + polish) against R lme4's fits in shared/reference/*.json.
// Tolerances: log-likelihood within 1e-3 absolute (lme4 stops its own BOBYQA at rhoend 2e-7, so
// its optimum is only that close); fixed effects within 1% of their standard error; standard
// errors and variance components within 1% relative (covariances within 1% of the product of the
// two standard deviations).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "likelihood/fit_core.h"
#include "likelihood/frame_loader.h"

namespace lmm {
namespace {

const char* const kReferences[] = {
    "dyestuff_ml",     "insteval_ml",          "machines_reml", "orthodont_ml",    "pastes_reml",
    "penicillin_reml", "sleepstudy_diag_reml", "sleepstudy_ml", "sleepstudy_reml", "t43_reml",
    "toy_reml"};

std::string StripSuffix(const std::string& group) {
  const size_t dot = group.rfind('.');
  if (dot != std::string::npos && dot + 1 < group.size() &&
      group.find_first_not_of("0123456789", dot + 1) == std::string::npos)
    return group.substr(0, dot);
  return group;
}

class ReferenceFitTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ReferenceFitTest, MatchesLme4) {
  const std::string name = GetParam();
  std::ifstream in(std::string(LMM_SHARED_DIR) + "/reference/" + name + ".json");
  ASSERT_TRUE(in) << name;
  const nlohmann::json ref = nlohmann::json::parse(in);
  const std::string data = ref["data"];
  const std::string dataset = data.substr(data.rfind('/') + 1, data.size() - data.rfind('/') - 5);
  const ModelFrame frame = test::LoadFrame(LMM_SHARED_DIR, dataset, ref["formula"]);
  FitCoreOptions options;
  options.reml = ref["method"] == "REML";
  const FitCoreResult fit = FitCore(frame, options);
  std::cout << name << ": loglik " << fit.loglik << " (lme4 " << double(ref["loglik"]) << "), "
            << fit.optimizer.evaluations << " evaluations, " << fit.seconds << " s, "
            << fit.optimizer.status << ", polish steps " << fit.optimizer.polish_accepted
            << ", max|grad| " << fit.convergence.max_abs_gradient << ", min eig "
            << fit.convergence.min_hessian_eigenvalue
            << (fit.convergence.singular ? ", singular" : "") << "\n";

  EXPECT_NEAR(fit.loglik, ref["loglik"].get<double>(), 1e-3);
  EXPECT_FALSE(fit.convergence.singular);
  EXPECT_TRUE(fit.optimizer.converged) << fit.optimizer.status;
  ASSERT_EQ(static_cast<size_t>(fit.p), ref["fixed"].size());
  for (int j = 0; j < fit.p; ++j) {
    const nlohmann::json& f = ref["fixed"][frame.fixed_names[j]];
    ASSERT_FALSE(f.is_null()) << frame.fixed_names[j];
    const double se = f["se"];
    EXPECT_NEAR(fit.beta(j), f["estimate"].get<double>(), 0.01 * se) << frame.fixed_names[j];
    EXPECT_NEAR(std::sqrt(fit.beta_covariance(j, j)), se, 0.01 * se) << frame.fixed_names[j];
  }
  for (const nlohmann::json& vc : ref["varcomp"]) {
    const std::string group = vc["group"];
    const double vcov = vc["vcov"];
    if (group == "Residual") {
      EXPECT_NEAR(fit.sigma2, vcov, 0.01 * vcov) << "residual";
      continue;
    }
    const std::string v1 = vc["var1"];
    const std::string v2 = vc["var2"].is_null() ? v1 : std::string(vc["var2"]);
    bool found = false;
    for (const TermEstimates& t : fit.terms) {
      if (t.group != StripSuffix(group) && t.group != group) continue;
      const auto i = std::find(t.names.begin(), t.names.end(), v1) - t.names.begin();
      const auto j = std::find(t.names.begin(), t.names.end(), v2) - t.names.begin();
      if (i == static_cast<long>(t.names.size()) || j == static_cast<long>(t.names.size()))
        continue;
      found = true;
      const double scale = std::sqrt(t.covariance(i, i) * t.covariance(j, j));
      EXPECT_NEAR(t.covariance(i, j), vcov, 0.01 * (i == j ? vcov : scale))
          << group << " " << v1 << " " << v2;
    }
    EXPECT_TRUE(found) << group << " " << v1;
  }
}

INSTANTIATE_TEST_SUITE_P(Reference, ReferenceFitTest, ::testing::ValuesIn(kReferences),
                         [](const ::testing::TestParamInfo<const char*>& param) {
                           return std::string(param.param);
                         });

}  // namespace
}  // namespace lmm
