// NIST StRD one-way ANOVA (shared/data/nist/anova): a REML fit of y ~ 1 + (1 | g) on balanced
// data has the closed form sigma^2 = MSW, sigma_g^2 = (MSB - MSW) / n_per_group in the certified
// mean squares (all eleven files have MSB > MSW, so the optimum is interior). Required: relative
// error < 1e-9 (9 significant digits) for both.
//
// Reading the responses: SmLs07-09 hold values like 1000000000000.4, which double cannot
// represent (its spacing at 1e12 is 1.2e-4), so any reader that converts the text to double
// directly loses the data's information before the fit starts. The test reads each value as an
// exact decimal and subtracts the first value's integer part in integer arithmetic; the model has
// an intercept, so the shift changes only beta. A second test reads the values naively with
// strtod where double can hold them to ~1e-10 relative to their spread (all but SmLs07-09), which
// exercises the evaluator's own centering.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "likelihood/fit_core.h"

namespace lmm {
namespace {

struct NistAnova {
  std::vector<int32_t> group;         // 0-based
  std::vector<std::string> response;  // as written
  double msb = 0, msw = 0;
  int groups = 0;
};

NistAnova ReadNist(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  NistAnova d;
  std::string line;
  int first = 0, last = 0, number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::istringstream ss(line);
    std::string a, b;
    ss >> a;
    if (a == "Data" && line.find("(lines") != std::string::npos) {
      const size_t p = line.find("(lines");
      std::sscanf(line.c_str() + p, "(lines %d to %d)", &first, &last);
    } else if (a == "Between" || a == "Within") {
      double df, ss_, ms;
      ss >> b >> df >> ss_ >> ms;
      (a == "Between" ? d.msb : d.msw) = ms;
    }
    if (first > 0 && number >= first && number <= last) {
      std::istringstream row(line);
      int g;
      std::string v;
      row >> g >> v;
      d.group.push_back(g - 1);
      d.response.push_back(v);
      d.groups = std::max(d.groups, g);
    }
  }
  return d;
}

// value - shift, where shift is an integer, computed exactly from the decimal text: the integer
// part difference in int64, plus the fractional part (which strtod reads to 1 ulp of itself).
double ShiftedDecimal(const std::string& text, int64_t shift) {
  const bool negative = text[0] == '-';
  const std::string digits = negative ? text.substr(1) : text;
  const size_t dot = digits.find('.');
  const int64_t whole = std::stoll(digits.substr(0, dot));
  const double frac =
      dot == std::string::npos ? 0.0 : std::strtod(("0" + digits.substr(dot)).c_str(), nullptr);
  return negative ? static_cast<double>(-whole - shift) - frac
                  : static_cast<double>(whole - shift) + frac;
}

ModelFrame OneWayFrame(const NistAnova& d, bool exact) {
  const int64_t n = static_cast<int64_t>(d.response.size());
  const int64_t shift = exact ? std::stoll(d.response[0].substr(0, d.response[0].find('.'))) : 0;
  ModelFrame f;
  f.y.resize(n);
  for (int64_t i = 0; i < n; ++i)
    f.y(i) =
        exact ? ShiftedDecimal(d.response[i], shift) : std::strtod(d.response[i].c_str(), nullptr);
  f.x = Eigen::MatrixXd::Ones(n, 1);
  f.fixed_names = {"(Intercept)"};
  RandomEffectTerm t;
  t.group = t.grouping_factor = "g";
  t.names = {"(Intercept)"};
  t.levels = d.groups;
  t.level = d.group;
  t.z = Eigen::MatrixXd::Ones(n, 1);
  f.random.push_back(t);
  return f;
}

void CheckFile(const std::string& name, bool exact) {
  const NistAnova d = ReadNist(std::string(LMM_SHARED_DIR) + "/data/nist/anova/" + name + ".dat");
  ASSERT_GT(d.groups, 1);
  const ModelFrame frame = OneWayFrame(d, exact);
  const double per_group = static_cast<double>(frame.n()) / d.groups;
  const FitCoreResult fit = FitCore(frame, FitCoreOptions{});
  const double sigma2 = d.msw;
  const double sigma2_g = (d.msb - d.msw) / per_group;
  const double err = std::abs(fit.sigma2 - sigma2) / sigma2;
  const double err_g = std::abs(fit.terms[0].covariance(0, 0) - sigma2_g) / sigma2_g;
  std::cout << name << (exact ? " (exact decimal)" : " (strtod)") << ": sigma2 digits "
            << -std::log10(err) << ", sigma2_g digits " << -std::log10(err_g) << ", "
            << fit.optimizer.evaluations << " evaluations\n";
  EXPECT_LT(err, 1e-9) << name;
  EXPECT_LT(err_g, 1e-9) << name;
}

class NistAnovaTest : public ::testing::TestWithParam<const char*> {};

TEST_P(NistAnovaTest, ExactDecimalInputGivesNineDigits) { CheckFile(GetParam(), true); }

// Plain doubles (strtod) suffice for the eight files whose values a double holds to about 1e-13
// relative; SmLs07-09 (1e12 + one decimal) lose their data in a plain double and are fitted to 9
// digits through the CSV reader's decimal remainders instead (tests/cli/nist_anova_cli_test.cc).
class NistAnovaDoubleTest : public ::testing::TestWithParam<const char*> {};

TEST_P(NistAnovaDoubleTest, DoubleInputGivesNineDigits) { CheckFile(GetParam(), false); }

INSTANTIATE_TEST_SUITE_P(Nist, NistAnovaDoubleTest,
                         ::testing::Values("AtmWtAg", "SiRstv", "SmLs01", "SmLs02", "SmLs03",
                                           "SmLs04", "SmLs05", "SmLs06"));

INSTANTIATE_TEST_SUITE_P(Nist, NistAnovaTest,
                         ::testing::Values("AtmWtAg", "SiRstv", "SmLs01", "SmLs02", "SmLs03",
                                           "SmLs04", "SmLs05", "SmLs06", "SmLs07", "SmLs08",
                                           "SmLs09"));

}  // namespace
}  // namespace lmm
