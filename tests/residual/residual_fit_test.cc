// Fits with residual structures against nlme::lme references (scripts/nlme_residual_references.R)
// and Stata's published output (mixed, example 8: Ovary, ar 2).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "likelihood/residual/residual_fit.h"
#include "lmm/load.h"

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

}  // namespace
}  // namespace lmm
