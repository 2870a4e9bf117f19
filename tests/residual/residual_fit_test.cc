// Fits with residual structures against nlme::lme references (scripts/nlme_residual_references.R)
// and Stata's published output (mixed, example 8: Ovary, ar 2).
#include "likelihood/residual/residual_fit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lmm/fit.h"
#include "lmm/load.h"
#include "residual/fit_with_residuals.h"

namespace lmm {
namespace {

struct Loaded {
  ModelFrame frame;
  std::vector<Column> columns;
};

Loaded LoadWithColumns(const std::string& path, const std::string& formula,
                       const std::vector<std::string>& extra) {
  LoadOptions lo;
  lo.data_path = path;
  lo.formula = formula;
  Loaded l{LoadModel(lo).frame, {}};
  CsvOptions co;
  co.keep = extra;
  l.columns = ReadCsv(path, co).columns;
  return l;
}

TEST(ResidualFit, OvaryAr2RemlMatchesNlme) {
  const Loaded l = LoadWithColumns(std::string(LMM_SHARED_DIR) + "/data/ovary.csv",
                                   "follicles ~ sin1 + cos1 + (1 | Mare)", {"time"});
  const residual::ResidualSpec spec = residual::ParseResidualSpec("ar(2, time = time)");
  const residual::Clusters clusters = residual::BuildClusters(l.frame, spec, l.columns);
  residual::ResidualStructure structure(spec, clusters);
  FitCoreOptions options;
  const ResidualFitCoreResult r = FitResidualCore(l.frame, clusters, structure, options);
  const std::vector<double> phi = structure.CorrParameters(r.u, 0);
  EXPECT_NEAR(r.core.loglik, -772.598553692, 1e-3);
  EXPECT_NEAR(phi[0], 0.53861049296, 1e-4);
  EXPECT_NEAR(phi[1], 0.144671229378, 1e-4);
  EXPECT_NEAR(r.core.sigma2, 14.2510436433, 1e-2);
  EXPECT_NEAR(r.core.terms[0].covariance(0, 0), 7.092596, 1e-3);
}

// Stata 19 [ME] mixed, example 8 (the same data and model): every number of its table, to the
// printed digits (SEs from a numeric Hessian: 1e-3 relative, about 5e-4 rounding in the
// central differences plus Stata's own).
TEST(ResidualFit, OvaryAr2ReportMatchesStataExample8) {
  const Loaded l = LoadWithColumns(std::string(LMM_SHARED_DIR) + "/data/ovary.csv",
                                   "follicles ~ sin1 + cos1 + (1 | Mare)", {"time"});
  FitOptions options;
  options.residuals = "ar 2, t(time)";
  options.residual_columns = l.columns;
  const FitResult fit = Fit(l.frame, options);
  auto rel = [](double a, double b, double tol) { return std::abs(a - b) <= tol * std::abs(b); };
  EXPECT_NEAR(fit.loglik, -772.59855, 1e-5);
  ASSERT_TRUE(fit.has_residual_structure);
  const ResidualStructureReport& r = fit.residual_structure;
  EXPECT_EQ(r.type, "ar");
  EXPECT_EQ(r.order, 2);
  EXPECT_EQ(r.cluster, "Mare");
  ASSERT_EQ(r.parameters.size(), 3u);
  EXPECT_EQ(r.parameters[0].name, "phi1");
  EXPECT_TRUE(rel(r.parameters[0].estimate, .5386103, 1e-5)) << r.parameters[0].estimate;
  EXPECT_TRUE(rel(r.parameters[0].std_error, .0624897, 1e-3)) << r.parameters[0].std_error;
  EXPECT_TRUE(rel(r.parameters[0].conf_low, .4161328, 1e-3)) << r.parameters[0].conf_low;
  EXPECT_TRUE(rel(r.parameters[0].conf_high, .6610878, 1e-3)) << r.parameters[0].conf_high;
  EXPECT_TRUE(rel(r.parameters[1].estimate, .1446711, 1e-4)) << r.parameters[1].estimate;
  EXPECT_TRUE(rel(r.parameters[1].std_error, .0632039, 1e-3)) << r.parameters[1].std_error;
  EXPECT_EQ(r.parameters[2].name, "var(e)");
  EXPECT_TRUE(rel(r.parameters[2].estimate, 14.25103, 1e-5)) << r.parameters[2].estimate;
  EXPECT_TRUE(rel(r.parameters[2].std_error, 2.435226, 1e-3)) << r.parameters[2].std_error;
  EXPECT_TRUE(rel(r.parameters[2].conf_low, 10.19512, 1e-3)) << r.parameters[2].conf_low;
  EXPECT_TRUE(rel(r.parameters[2].conf_high, 19.9205, 1e-3)) << r.parameters[2].conf_high;
  ASSERT_EQ(fit.random_effects.size(), 1u);
  EXPECT_TRUE(rel(fit.random_effects[0].value, 7.09265, 1e-5)) << fit.random_effects[0].value;
  EXPECT_TRUE(rel(fit.random_effects[0].std_error, 4.402051, 1e-3))
      << fit.random_effects[0].std_error;
  EXPECT_TRUE(rel(fit.random_effects[0].conf_low, 2.101409, 1e-3));
  EXPECT_TRUE(rel(fit.random_effects[0].conf_high, 23.93903, 1e-3));
  ASSERT_EQ(fit.fixed_effects.size(), 3u);
  EXPECT_TRUE(rel(fit.fixed_effects[1].std_error, .5110784, 1e-5));
  EXPECT_TRUE(rel(fit.fixed_effects[0].std_error, .9473731, 1e-5));
  EXPECT_NEAR(fit.wald_test.statistic, 34.72, 5e-3);
  ASSERT_TRUE(fit.has_lr_test);
  EXPECT_EQ(fit.lr_test_vs_linear.df, 3);
  EXPECT_NEAR(fit.lr_test_vs_linear.statistic, 251.67, 5e-3);
  EXPECT_EQ(fit.df_model, 7);  // nlme: 3 fixed, var(_cons), phi1, phi2, var(e)
}

}  // namespace
}  // namespace lmm
