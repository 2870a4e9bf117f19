// `fit --responses`: each response's result equals a separate `fit` of that response with the same
// right-hand side; rows missing any listed response are dropped from every fit; a bad response
// fails alone.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <regex>

#include "batch/batch_test_util.h"

namespace lmm {
namespace {

using batch_testing::CliResult;
using batch_testing::ReadFile;
using batch_testing::RunCli;
using batch_testing::TempDir;
using batch_testing::WithoutTimes;
using nlohmann::json;

constexpr int kRows = 600;
constexpr int kGroups = 30;
constexpr int kMissingEvery = 7;  // ymiss is missing on rows 0, 7, 14, ...

// Responses y1..y3 (different effects on x and group variances), ymiss (y1's model, some cells
// missing), ylab (not numeric), yconst; x numeric, g the grouping factor. `skip_missing` leaves
// out the rows where ymiss is missing.
std::string ResponsesCsv(bool skip_missing) {
  std::mt19937_64 rng(77);
  auto uniform = [&rng]() { return (static_cast<double>(rng() >> 11) + 0.5) / 9007199254740992.0; };
  auto normal = [&uniform]() {
    return std::sqrt(-2 * std::log(uniform())) * std::cos(6.283185307179586 * uniform());
  };
  std::vector<double> b(kGroups * 4);
  for (double& v : b) v = normal();
  std::string csv = "y1,x,y2,g,ylab,y3,ymiss,yconst\n";
  for (int i = 0; i < kRows; ++i) {
    const int g = i % kGroups;
    const double x = uniform() * 10;
    const double y1 = 5 + 0.5 * x + 2 * b[g] + 0.3 * b[kGroups + g] * x + normal();
    const double y2 = -1 + 0.1 * x + 0.5 * b[2 * kGroups + g] + 2 * normal();
    const double y3 = 100 - 3 * x + 4 * b[3 * kGroups + g] + 0.5 * normal();
    const double ym = 1 + x + b[g] + normal();
    const bool missing = i % kMissingEvery == 0;
    if (skip_missing && missing) continue;
    csv += fmt::format("{:.6f},{:.6f},{:.6f},grp{},{},{:.6f},{},3\n", y1, x, y2, g,
                       i % 2 ? "a" : "b", y3, missing ? "NA" : fmt::format("{:.6f}", ym));
  }
  return csv;
}

json StripResponseKeys(json j) {
  j = WithoutTimes(std::move(j));
  j.erase("response");
  j.erase("status");
  return j;
}

json SingleFit(const std::string& data, const std::string& formula, const std::string& method) {
  const CliResult r =
      RunCli({"fit", "--format", "json", "--data", data, "--formula", formula, method});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return WithoutTimes(json::parse(r.out));
}

TEST(FitResponses, EachResultEqualsASeparateFit) {
  TempDir dir;
  const std::string data = dir.Write("d.csv", ResponsesCsv(false));
  for (const std::string method : {"--reml", "--ml"}) {
    SCOPED_TRACE(method);
    const CliResult r = RunCli({"fit", "--data", data, "--formula", "y1 ~ x + (x | g)",
                                "--responses", "y1,y2,y3", method});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json results = json::parse(r.out);
    // The array is joined from texts made per response: byte for byte nlohmann's dump(2) of it.
    EXPECT_EQ(r.out, results.dump(2) + "\n");
    ASSERT_EQ(results.size(), 3u);
    for (int k = 0; k < 3; ++k) {
      const std::string y = fmt::format("y{}", k + 1);
      SCOPED_TRACE(y);
      EXPECT_EQ(results[k]["response"], y);
      EXPECT_EQ(results[k]["status"], "ok");
      // Exactly: the same X, Z and y reach the same engine.
      EXPECT_EQ(StripResponseKeys(results[k]), SingleFit(data, y + " ~ x + (x | g)", method));
    }
  }
}

// Models whose cross-products have more pieces that depend on y than (x | g)'s: crossed terms (A's
// y row), no intercept (no centering), and a response near 1e12 whose decimals doubles do not hold
// (the frame subtracts an offset). Each response on the shared design equals its separate fit, and
// the results do not depend on the number of worker threads.
TEST(FitResponses, SharedDesignEqualsSeparateFitsForCrossedAndUncenteredModels) {
  TempDir dir;
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal;
  std::string csv = "x,g,h,ya,yb,ybig\n";
  for (int i = 0; i < 400; ++i) {
    const int g = (i * 3 + i / 5) % 25, h = i % 6;
    const double x = 0.01 * ((i * 37) % 1000);
    csv += fmt::format("{:.2f},g{},h{},{:.6f},{:.6f},1000000000{:03d}.{:03d}\n", x, g, h,
                       1 + 0.5 * x + 0.2 * g + 0.4 * h + normal(rng), 10 - x + normal(rng) * 3,
                       (i * 7 + g) % 1000, (i * 91 + 3 * h) % 1000);
  }
  const std::string data = dir.Write("crossed.csv", csv);
  // ybig without an intercept does not converge (lme4 warns too): left out there.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"~ x + (1 | g) + (1 | h)", "ya,yb,ybig"}, {"~ 0 + x + (x | g)", "ya,yb"}};
  for (const auto& [rhs, responses] : cases) {
    SCOPED_TRACE(rhs);
    const CliResult one = RunCli(
        {"fit", "--data", data, "--formula", rhs, "--responses", responses, "--threads", "1"});
    ASSERT_EQ(one.exit_code, 0) << one.err;
    const CliResult two = RunCli(
        {"fit", "--data", data, "--formula", rhs, "--responses", responses, "--threads", "2"});
    ASSERT_EQ(two.exit_code, 0) << two.err;
    const json results = json::parse(one.out);
    EXPECT_EQ(WithoutTimes(results), WithoutTimes(json::parse(two.out)));
    ASSERT_GE(results.size(), 2u);
    for (size_t k = 0; k < results.size(); ++k) {
      const std::string y = results[k]["response"];
      SCOPED_TRACE(y);
      EXPECT_EQ(StripResponseKeys(results[k]), SingleFit(data, y + " " + rhs, "--reml"));
    }
  }
}

// The text report's fit time ("..., 12 evaluations, 0.004 s") masked: separate runs differ in it.
std::string WithoutTextTimes(const std::string& text) {
  static const std::regex kTime("evaluations, [0-9.]+ s");
  return std::regex_replace(text, kTime, "evaluations, T s");
}

TEST(FitResponses, TextFormatIsEachFitsReportInTurn) {
  TempDir dir;
  const std::string data = dir.Write("d.csv", ResponsesCsv(false));
  const CliResult r = RunCli({"fit", "--data", data, "--formula", "~ x + (1 | g)", "--responses",
                              "y2,ylab,y1", "--format", "text"});
  ASSERT_EQ(r.exit_code, 4) << r.err;
  std::string expected;
  for (const std::string y : {"y2", "ylab", "y1"}) {
    if (y == "ylab") {
      expected += "=== response ylab: failed\n";
      const CliResult single =
          RunCli({"fit", "--data", data, "--formula", "ylab ~ x + (1 | g)", "--format", "text"});
      EXPECT_EQ(single.exit_code, 2);
      // `fit` prints "lmmgpu: MESSAGE" on stderr; the outcome holds the message.
      expected += single.err.substr(std::string("lmmgpu: ").size());
    } else {
      expected += "=== response " + y + ": ok\n";
      const CliResult single =
          RunCli({"fit", "--data", data, "--formula", y + " ~ x + (1 | g)", "--format", "text"});
      EXPECT_EQ(single.exit_code, 0) << single.err;
      expected += single.out;
    }
    expected += "\n";
  }
  EXPECT_EQ(WithoutTextTimes(r.out), WithoutTextTimes(expected));
}

TEST(FitResponses, GlobPatternsAndFailedResponses) {
  TempDir dir;
  const std::string data = dir.Write("d.csv", ResponsesCsv(false));
  // 'y[0-9]' and a repeated name; 'y*' over the header: y1, y2, ylab, y3, ymiss, yconst.
  CliResult r =
      RunCli({"fit", "--data", data, "--formula", "~ x + (1 | g)", "--responses", "y[0-9],y2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json results = json::parse(r.out);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[2]["response"], "y3");
  EXPECT_EQ(results[2]["formula"], "y3 ~ x + (1 | g)");

  r = RunCli({"fit", "--data", data, "--formula", "y1 ~ x + (1 | g)", "--responses", "y*"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("6 responses: 4 fitted, 2 failed"), std::string::npos) << r.err;
  results = json::parse(r.out);
  ASSERT_EQ(results.size(), 6u);
  std::vector<std::string> names;
  for (const json& j : results) names.push_back(j["response"]);
  EXPECT_EQ(names, (std::vector<std::string>{"y1", "y2", "ylab", "y3", "ymiss", "yconst"}));
  EXPECT_EQ(results[2]["status"], "failed");
  EXPECT_EQ(results[2]["exit_code"], 2);
  EXPECT_NE(results[2]["message"].get<std::string>().find("'ylab' is used as a number"),
            std::string::npos);
  EXPECT_EQ(results[5]["status"], "failed");
  EXPECT_NE(results[5]["message"].get<std::string>().find("is constant"), std::string::npos);
  EXPECT_EQ(results[3]["status"], "ok");

  // The right-hand side's columns are not responses; a pattern matching nothing is an error.
  r = RunCli({"fit", "--data", data, "--formula", "y1 ~ x + (1 | g)", "--responses", "x*"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("matches no column"), std::string::npos) << r.err;
  r = RunCli({"fit", "--data", data, "--formula", "y1 ~ x + (1 | g)", "--responses", "y1,nope"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nope"), std::string::npos) << r.err;
}

TEST(FitResponses, RowsMissingAnyResponseAreDroppedFromEveryFit) {
  TempDir dir;
  const std::string data = dir.Write("d.csv", ResponsesCsv(false));
  const std::string complete = dir.Write("complete.csv", ResponsesCsv(true));
  const CliResult r =
      RunCli({"fit", "--data", data, "--formula", "y1 ~ x + (x | g)", "--responses", "y1,ymiss"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json results = json::parse(r.out);
  const int missing = (kRows + kMissingEvery - 1) / kMissingEvery;
  for (int k = 0; k < 2; ++k) {
    const json& fit = results[k];
    SCOPED_TRACE(fit["response"].get<std::string>());
    EXPECT_EQ(fit["nobs"], kRows - missing);
    EXPECT_EQ(fit["rows_read"], kRows);
    EXPECT_EQ(fit["rows_dropped"], json({{"missing ymiss", missing}}));
    // Equal to a fit on the file without those rows.
    const json single =
        SingleFit(complete, fit["response"].get<std::string>() + " ~ x + (x | g)", "--reml");
    for (const char* key : {"nobs", "loglik", "theta", "fixed_effects", "random_effects",
                            "residual", "response_hash", "converged"})
      EXPECT_EQ(fit[key], single[key]) << key;
  }
}

TEST(FitResponses, OutputDirectoryHoldsOneFilePerResponseAndASummary) {
  TempDir dir;
  const std::string data = dir.Write("d.csv", ResponsesCsv(false));
  const std::string out = dir.path() + "/out";
  const CliResult array =
      RunCli({"fit", "--data", data, "--formula", "y1 ~ x + (1 | g)", "--responses", "y1,ylab,y2"});
  ASSERT_EQ(array.exit_code, 4) << array.err;
  const CliResult r = RunCli({"fit", "--data", data, "--formula", "y1 ~ x + (1 | g)", "--responses",
                              "y1,ylab,y2", "--output-dir", out});
  ASSERT_EQ(r.exit_code, 4) << r.err;
  EXPECT_EQ(r.out, "");
  const json expected = json::parse(array.out);
  EXPECT_EQ(WithoutTimes(json::parse(ReadFile(out + "/y1.json"))), WithoutTimes(expected[0]));
  EXPECT_EQ(WithoutTimes(json::parse(ReadFile(out + "/y2.json"))), WithoutTimes(expected[2]));
  EXPECT_EQ(WithoutTimes(json::parse(ReadFile(out + "/ylab.error.json"))),
            WithoutTimes(expected[1]));
  const std::string summary = ReadFile(out + "/summary.csv");
  EXPECT_EQ(summary.rfind("response,status,loglik,seconds,backend,message\ny1,ok,", 0), 0u)
      << summary;
  EXPECT_NE(summary.find("\nylab,failed,,"), std::string::npos) << summary;
  EXPECT_NE(summary.find(fmt::format("\ny2,ok,{:.17g},", expected[2]["loglik"].get<double>())),
            std::string::npos)
      << summary;
}

}  // namespace
}  // namespace lmm
