// NIST StRD one-way ANOVA files fitted through the whole program (CSV reader included) by REML,
// y ~ 1 + (1 | g): the balanced one-way random-effects REML estimates have closed forms in the
// certified mean squares, sigma^2 = MSW and sigma_g^2 = (MSB - MSW) / n_per_group. Good software
// gets 9+ significant digits (DESIGN.md section 8); SmLs07-09 (values near 1e12 with one decimal)
// need the reader's decimal remainders to get there.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/cli_runner.h"

namespace lmm {
namespace {

struct Certified {
  double msb = 0, msw = 0;
  int groups = 0;
  int64_t rows = 0;
  std::string csv;  // "g,y\n" + the data rows, values copied as written
};

Certified ReadNist(const std::string& path) {
  std::ifstream in(path);
  Certified c;
  c.csv = "g,y\n";
  std::string line;
  bool data = false;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string a, b, df, ss, ms;
    // "Between Treatment  8 SS MS F" (the factor is "Instrument" in AtmWtAg and SiRstv).
    if (line.rfind("Between ", 0) == 0) {
      fields >> a >> b >> df >> ss >> ms;
      c.msb = std::stod(ms);
      c.groups = std::stoi(df) + 1;
    } else if (line.rfind("Within ", 0) == 0) {
      fields >> a >> b >> df >> ss >> ms;
      c.msw = std::stod(ms);
    } else if (line.rfind("Data:", 0) == 0 && line.find("Factor") == std::string::npos) {
      data = true;
    } else if (data && (fields >> a >> b)) {
      c.csv += a + "," + b + "\n";  // the decimal text itself, not a re-printed double
      ++c.rows;
    }
  }
  return c;
}

class NistAnovaCli : public ::testing::TestWithParam<const char*> {};

TEST_P(NistAnovaCli, NineSignificantDigits) {
  const std::string path = std::string(LMM_SHARED_DIR) + "/data/nist/anova/" + GetParam() + ".dat";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  const Certified c = ReadNist(path);
  ASSERT_GT(c.rows, 0);
  testing::TempDir dir;
  const auto r = testing::RunCli({"fit", "--format", "json", "--data", dir.Write("d.csv", c.csv),
                                  "--formula", "y ~ 1 + (1 | g)"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json fit = nlohmann::json::parse(r.out);
  const double n_per_group = static_cast<double>(c.rows) / c.groups;
  const double sigma2 = c.msw, sigma_g2 = (c.msb - c.msw) / n_per_group;
  EXPECT_NEAR(fit["residual"]["variance"].get<double>(), sigma2, 1e-9 * sigma2);
  EXPECT_NEAR(fit["random_effects"][0]["variance"].get<double>(), sigma_g2, 1e-9 * sigma_g2);
}

INSTANTIATE_TEST_SUITE_P(Nist, NistAnovaCli,
                         ::testing::Values("AtmWtAg", "SiRstv", "SmLs01", "SmLs02", "SmLs03",
                                           "SmLs04", "SmLs05", "SmLs06", "SmLs07", "SmLs08",
                                           "SmLs09"));

}  // namespace
}  // namespace lmm
