// --residuals parsing and the time/by rules of Stata's residuals() [Stata mixed, Options].
#include "residual/residual_spec.h"

#include <gtest/gtest.h>

#include "lmm/error.h"
#include "lmm/load.h"
#include "residual/clusters.h"
#include "residual/residual_structure.h"

namespace lmm::residual {
namespace {

TEST(ResidualSpec, ParsesIssueAndStataSpellings) {
  ResidualSpec s = ParseResidualSpec("ar(2, time = time)");
  EXPECT_EQ(s.type, ResidualType::kAr);
  EXPECT_EQ(s.order, 2);
  EXPECT_EQ(s.time, "time");
  s = ParseResidualSpec("ar 2, t(time) by(Sex)");
  EXPECT_EQ(s.order, 2);
  EXPECT_EQ(s.time, "time");
  EXPECT_EQ(s.by, "Sex");
  s = ParseResidualSpec("independent(by = Diet)");
  EXPECT_EQ(s.type, ResidualType::kIndependent);
  EXPECT_EQ(s.by, "Diet");
  s = ParseResidualSpec("ma(time = t)");
  EXPECT_EQ(s.order, 1);  // Stata's default order
  s = ParseResidualSpec("exchangeable");
  EXPECT_EQ(s.type, ResidualType::kExchangeable);
  s = ParseResidualSpec("toeplitz(time = t, by = g)");
  EXPECT_EQ(s.order, -1);  // the largest lag, resolved against the data
  EXPECT_EQ(ParseResidualSpec("banded(0, time = t)").order, 0);
  EXPECT_EQ(ParseResidualSpec("banded(time = t)").order, -1);
  EXPECT_EQ(ParseResidualSpec("unstructured(time = day)").time_rule(), TimeRule::kIdentifier);
  EXPECT_EQ(ParseResidualSpec("banded(1, time = t)").order, 1);
  EXPECT_EQ(ParseResidualSpec("exponential(time = Time)").time_rule(), TimeRule::kReal);
}

void ExpectUsageError(const std::string& spec, const std::string& fragment) {
  try {
    ParseResidualSpec(spec);
    ADD_FAILURE() << spec << " parsed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
  }
}

TEST(ResidualSpec, RejectsWithClearMessages) {
  ExpectUsageError("arma(1, time = t)", "unknown structure 'arma'");
  ExpectUsageError("ar(2)", "ar needs a time variable");
  ExpectUsageError("ar(0, time = t)", "order of at least 1");
  ExpectUsageError("exchangeable(time = t)", "exchangeable takes no time variable");
  ExpectUsageError("exchangeable(2)", "exchangeable takes no order");
  ExpectUsageError("ar(2, time = t", "missing ')'");
  ExpectUsageError("ar(2, when = t)", "unknown option 'when'");
  ExpectUsageError("ar(2, time = t, time = s)", "given twice");
  ExpectUsageError("ar(1.5, time = t)", "nonnegative integer");
  ExpectUsageError("", "expected a structure");
}

struct Data {
  ModelFrame frame;
  std::vector<Column> columns;
};

Data Orthodont(const std::string& formula, const std::vector<std::string>& keep) {
  const std::string path = std::string(LMM_SHARED_DIR) + "/data/orthodont.csv";
  LoadOptions lo;
  lo.data_path = path;
  lo.formula = formula;
  CsvOptions co;
  co.keep = keep;
  return {LoadModel(lo).frame, ReadCsv(path, co).columns};
}

void ExpectDataError(const Data& d, const std::string& spec, const std::string& fragment) {
  try {
    const Clusters c = BuildClusters(d.frame, ParseResidualSpec(spec), d.columns);
    ResidualStructure s(ParseResidualSpec(spec), c);
    ADD_FAILURE() << spec << " accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(ResidualClusters, StataTimeAndByRules) {
  const Data d = Orthodont("distance ~ age + (1 | Subject)", {"age", "Sex", "distance"});
  // Orthodont's ages 8, 10, 12, 14: integers, gaps of 2 are lags of 2.
  const Clusters c = BuildClusters(d.frame, ParseResidualSpec("ar(1, time = age)"), d.columns);
  EXPECT_EQ(c.size(), 27);
  EXPECT_EQ(c.max_lag, 6);
  EXPECT_EQ(c.max_size, 4);
  EXPECT_EQ(c.factor, "Subject");
  // distance is not integer-valued (ar), repeats within subjects; Sex is constant within them.
  ExpectDataError(d, "ar(1, time = distance)", "must be integer-valued");
  ExpectDataError(d, "exponential(time = Sex)", "is not numeric");
  ExpectDataError(d, "ar(1, time = nosuch)", "no column 'nosuch'");
  ExpectDataError(d, "ar(7, time = age)", "exceeds the largest time lag");
  ExpectDataError(d, "exchangeable(by = age)", "varies within Subject");
  EXPECT_NO_THROW(BuildClusters(d.frame, ParseResidualSpec("independent(by = age)"), d.columns));
  EXPECT_NO_THROW(
      BuildClusters(d.frame, ParseResidualSpec("ar(1, time = age, by = Sex)"), d.columns));
}

TEST(ResidualClusters, RepeatedTimeWithinClusterIsAnError) {
  const Data d = Orthodont("distance ~ age + (1 | Sex)", {"age"});
  ExpectDataError(d, "ar(1, time = age)", "repeats the value 8 within Sex");
}

TEST(ResidualStructure, ArAutocorrelationsSolveYuleWalker) {
  // AR(2) with phi = (0.5, 0.2): rho1 = phi1 / (1 - phi2), rho2 = phi1 rho1 + phi2,
  // rho3 = phi1 rho2 + phi2 rho1 [Brockwell & Davis 1991, ex. 3.3.5].
  const double phi1 = 0.5, phi2 = 0.2;
  // Partial autocorrelations of that process: pacf2 = phi2, pacf1 = rho1.
  const double rho1 = phi1 / (1 - phi2);
  const std::vector<double> pacf = {rho1, phi2};
  const std::vector<double> phi = PacfToAr(pacf);
  EXPECT_NEAR(phi[0], phi1, 1e-15);
  EXPECT_NEAR(phi[1], phi2, 1e-15);
  const std::vector<double> rho = ArAutocorrelations(pacf, 3);
  EXPECT_NEAR(rho[1], rho1, 1e-15);
  EXPECT_NEAR(rho[2], phi1 * rho1 + phi2, 1e-15);
  EXPECT_NEAR(rho[3], phi1 * rho[2] + phi2 * rho1, 1e-15);
  // MA(1): rho1 = theta / (1 + theta^2), zero beyond.
  const std::vector<double> theta = {0.4};
  const std::vector<double> m = MaAutocorrelations(theta, 2);
  EXPECT_NEAR(m[1], 0.4 / 1.16, 1e-15);
  EXPECT_EQ(m[2], 0.0);
}

}  // namespace
}  // namespace lmm::residual
