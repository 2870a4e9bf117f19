// The profiled objective at fixed theta against lme4's own deviance function (mkLmerDevfun), made
// by scripts/lme4_deviances.R: deterministic, so the tolerance is 1e-8 relative -- lme4 computes
// with a sparse Cholesky (CHOLMOD) in double precision and agrees with a dense one to about
// 1e-12 on these problems; 1e-8 leaves room for the order of summation on insteval (n = 73421).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "likelihood/evaluator.h"
#include "likelihood/frame_loader.h"

namespace lmm {
namespace {

constexpr double kRelTol = 1e-8;

const nlohmann::json& Fixture() {
  static const nlohmann::json j = [] {
    std::ifstream in(std::string(LMM_TEST_DATA_DIR) + "/likelihood/lme4_deviances.json");
    return nlohmann::json::parse(in);
  }();
  return j;
}

const ModelFrame& Frame(const std::string& dataset, const std::string& formula) {
  static std::map<std::string, ModelFrame> cache;
  const std::string key = dataset + "|" + formula;
  auto it = cache.find(key);
  if (it == cache.end())
    it = cache.emplace(key, test::LoadFrame(LMM_SHARED_DIR, dataset, formula)).first;
  return it->second;
}

class Lme4DevianceTest : public ::testing::TestWithParam<int> {};

TEST_P(Lme4DevianceTest, MatchesLme4AtFixedTheta) {
  const nlohmann::json& c = Fixture()["cases"][GetParam()];
  const std::string dataset = c["dataset"];
  const std::string formula = c["formula"];
  const bool reml = c["reml"];
  SCOPED_TRACE(dataset + " " + formula + (reml ? " REML " : " ML ") + std::string(c["which"]));
  const ModelFrame& frame = Frame(dataset, formula);
  for (int threads : {1, 2}) {
    EvaluatorOptions options;
    options.threads = threads;
    const std::unique_ptr<Evaluator> ev = Evaluator::Create(frame, options);
    ASSERT_EQ(ev->layout().names(), c["theta_names"].get<std::vector<std::string>>());
    const std::vector<double> theta = c["theta"];
    const Status s = ev->Update(theta);
    ASSERT_TRUE(s.ok()) << s.ToString();
    const double expected = c["value"];
    EXPECT_NEAR(ev->Objective(reml), expected, kRelTol * std::abs(expected));
    if (c.contains("sigma")) {
      const double sigma = c["sigma"];
      EXPECT_NEAR(std::sqrt(ev->sigma2(reml)), sigma, kRelTol * sigma);
      const std::vector<double> beta = c["beta"];
      ASSERT_EQ(ev->beta().size(), static_cast<Eigen::Index>(beta.size()));
      for (size_t i = 0; i < beta.size(); ++i)
        EXPECT_NEAR(ev->beta()(i), beta[i], kRelTol * (std::abs(beta[i]) + sigma));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixture, Lme4DevianceTest,
                         ::testing::Range(0, static_cast<int>(Fixture()["cases"].size())),
                         [](const ::testing::TestParamInfo<int>& param) {
                           const nlohmann::json& c = Fixture()["cases"][param.param];
                           std::string name = std::string(c["dataset"]) + "_" +
                                              (c["reml"].get<bool>() ? "reml" : "ml") + "_" +
                                              std::string(c["which"]) + "_" +
                                              std::to_string(param.param);
                           return name;
                         });

}  // namespace
}  // namespace lmm
