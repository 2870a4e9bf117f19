// The streaming build against the in-memory fit of the same file: same estimates, SEs, likelihood
// and frame facts, whatever the chunk size and row order.
#include "scale/stream_fit.h"

#include <gtest/gtest.h>

#include <cmath>

#include "lmm/error.h"
#include "lmm/fit.h"
#include "lmm/load.h"
#include "scale/clustered_csv.h"
#include "support/cli_runner.h"

namespace lmm::scale {
namespace {

using lmm::testing::ClusteredCsv;
using lmm::testing::ClusteredCsvOptions;
using lmm::testing::TempDir;

// Both paths do the same arithmetic up to summation order and the centering's rounding (the
// streaming sums are long double, the in-memory ones double), so their objectives agree to
// ~1e-14; the optimizer's Newton polish then lands on the same optimum to ~1e-10 relative.
constexpr double kRel = 1e-9;

void ExpectNear(double a, double b, const std::string& what) {
  EXPECT_LE(std::abs(a - b), kRel * std::max(1.0, std::abs(b))) << what << ": " << a << " vs " << b;
}

FitResult InMemory(const std::string& path, const std::string& formula, const FitOptions& options) {
  LoadOptions load;
  load.data_path = path;
  load.formula = formula;
  return Fit(LoadModel(load).frame, options);
}

FitResult Streamed(const std::string& path, const std::string& formula, const FitOptions& options,
                   int64_t chunk_bytes) {
  StreamOptions stream;
  stream.data_path = path;
  stream.formula = formula;
  stream.chunk_bytes = chunk_bytes;
  Collective single;
  StreamedModel model = BuildStreamedModel(stream, single);
  return FitStreamed(model, options);
}

void ExpectSameFit(const FitResult& s, const FitResult& m) {
  EXPECT_EQ(s.nobs, m.nobs);
  EXPECT_EQ(s.rows_read, m.rows_read);
  EXPECT_EQ(s.rows_dropped, m.rows_dropped);
  EXPECT_EQ(s.aliased, m.aliased);
  EXPECT_EQ(s.response_hash, m.response_hash);
  ASSERT_EQ(s.groups.size(), m.groups.size());
  EXPECT_EQ(s.groups[0].levels, m.groups[0].levels);
  EXPECT_EQ(s.groups[0].min, m.groups[0].min);
  EXPECT_EQ(s.groups[0].max, m.groups[0].max);
  ExpectNear(s.loglik, m.loglik, "loglik");
  ExpectNear(s.aic, m.aic, "aic");
  ASSERT_EQ(s.fixed_effects.size(), m.fixed_effects.size());
  for (size_t j = 0; j < m.fixed_effects.size(); ++j) {
    EXPECT_EQ(s.fixed_effects[j].term, m.fixed_effects[j].term);
    ExpectNear(s.fixed_effects[j].estimate, m.fixed_effects[j].estimate,
               "beta " + m.fixed_effects[j].term);
    ExpectNear(s.fixed_effects[j].std_error, m.fixed_effects[j].std_error,
               "se " + m.fixed_effects[j].term);
  }
  ASSERT_EQ(s.theta.size(), m.theta.size());
  for (size_t k = 0; k < m.theta.size(); ++k) ExpectNear(s.theta[k], m.theta[k], "theta");
  ASSERT_EQ(s.random_effects.size(), m.random_effects.size());
  for (size_t k = 0; k < m.random_effects.size(); ++k) {
    ExpectNear(s.random_effects[k].value, m.random_effects[k].value, "variance component");
    // SEs come from a finite-difference Hessian of the objective: differences of ~1e-14 in the
    // objective show up at ~1e-7 there.
    EXPECT_NEAR(s.random_effects[k].std_error, m.random_effects[k].std_error,
                1e-5 * m.random_effects[k].std_error);
  }
  ExpectNear(s.residual.value, m.residual.value, "residual variance");
  ExpectNear(s.lr_test_vs_linear.statistic, m.lr_test_vs_linear.statistic, "LR statistic");
}

TEST(StreamFit, EqualsInMemoryOnUnsortedDataWithFactorsAndMissingValues) {
  TempDir dir;
  const std::string path = dir.Write("d.csv", ClusteredCsv({}));
  const std::string formula = "y ~ x1 + x2 + f + (1 + x1 | g)";
  FitOptions options;
  const FitResult m = InMemory(path, formula, options);
  ASSERT_FALSE(m.rows_dropped.empty());
  for (int64_t chunk_bytes : {int64_t{4096}, int64_t{50000}, int64_t{1} << 30}) {
    SCOPED_TRACE(chunk_bytes);
    ExpectSameFit(Streamed(path, formula, options, chunk_bytes), m);
  }
}

TEST(StreamFit, EqualsInMemoryByMlWithNumericGroupsAndAliasing) {
  TempDir dir;
  ClusteredCsvOptions o;
  o.numeric_groups = true;
  o.aliased_column = true;
  o.clusters = 40;
  o.seed = 11;
  const std::string path = dir.Write("d.csv", ClusteredCsv(o));
  const std::string formula = "y ~ x1 + x2 + x3 + f + (1 | g)";
  FitOptions options;
  options.reml = false;
  options.conditional_modes = true;
  const FitResult m = InMemory(path, formula, options);
  ASSERT_EQ(m.aliased, std::vector<std::string>{"x3"});
  const FitResult s = Streamed(path, formula, options, 8192);
  ExpectSameFit(s, m);
  ASSERT_EQ(s.modes.size(), 1u);
  EXPECT_EQ(s.modes[0].level_labels, m.modes[0].level_labels);  // "100", "107", ... numerically
  for (Eigen::Index c = 0; c < m.modes[0].modes.rows(); ++c)
    EXPECT_NEAR(s.modes[0].modes(c, 0), m.modes[0].modes(c, 0), 1e-8);
}

TEST(StreamFit, CrlfLineEndsAndSmallChunksGiveTheSameFit) {
  TempDir dir;
  std::string lf = ClusteredCsv({});
  std::string crlf;
  for (char c : lf) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  const std::string path = dir.Write("d.csv", crlf);
  const std::string formula = "y ~ x1 * f + (1 | g)";
  const FitResult m = InMemory(path, formula, {});
  ExpectSameFit(Streamed(path, formula, {}, 2048), m);
}

TEST(StreamFit, RefusesAColumnThatIsNumbersInOneChunkAndTextInAnother) {
  TempDir dir;
  std::string csv = "y,x,g\n";
  for (int i = 0; i < 2000; ++i)
    csv += fmt::format("{},{},{}\n", (i * 37) % 11, i % 7,
                       i < 1000 ? std::to_string(i % 9) : fmt::format("k{}", i % 9));
  const std::string path = dir.Write("d.csv", csv);
  try {
    Streamed(path, "y ~ x + (1 | g)", {}, 1024);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kData);
    EXPECT_NE(std::string(e.what()).find("column 'g'"), std::string::npos) << e.what();
  }
  // One chunk (chunks are read 4 KiB at least; this file is larger): the reader types g as text,
  // as in memory, and the fit goes through.
  EXPECT_NO_THROW(Streamed(path, "y ~ x + (1 | g)", {}, int64_t{1} << 20));
}

TEST(StreamFit, RefusesModelsAndOptionsOutsideItsScope) {
  TempDir dir;
  const std::string path = dir.Write("d.csv", ClusteredCsv({}));
  auto kind = [&](const std::string& formula, const FitOptions& options) {
    try {
      Streamed(path, formula, options, 0);
    } catch (const Error& e) {
      return e.kind();
    }
    return ErrorKind::kInternal;
  };
  EXPECT_EQ(kind("y ~ x1 + (1 | g) + (1 | f)", {}), ErrorKind::kUsage);
  EXPECT_EQ(kind("y ~ x1 + (1 | g:f)", {}), ErrorKind::kUsage);
  FitOptions ddf;
  ddf.ddf = DdfMethod::kSatterthwaite;
  EXPECT_EQ(kind("y ~ x1 + (1 | g)", ddf), ErrorKind::kUsage);
  EXPECT_EQ(kind("y ~ x1 + (1 | nope)", {}), ErrorKind::kData);
}

TEST(StreamFitCli, MemoryLimitGivesTheInMemoryReport) {
  TempDir dir;
  const std::string path = dir.Write("d.csv", ClusteredCsv({}));
  const std::vector<std::string> common = {
      "fit", "--data", path, "--formula", "y ~ x1 + f + (1 + x1 | g)", "--format", "json"};
  std::vector<std::string> streamed = common;
  streamed.insert(streamed.end(), {"--memory-limit", "256M"});
  const auto a = lmm::testing::RunCli(common);
  const auto b = lmm::testing::RunCli(streamed);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(b.out.find("\"peak_rss_bytes_max_rank\""), std::string::npos);
  EXPECT_NE(b.out.find("\"loglik\""), std::string::npos);
  const auto bad = lmm::testing::RunCli(
      {"fit", "--data", path, "--formula", "y ~ x1 + (1 | g)", "--memory-limit", "lots"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--memory-limit 'lots'"), std::string::npos) << bad.err;
  const auto predict =
      lmm::testing::RunCli({"fit", "--data", path, "--formula", "y ~ x1 + (1 | g)",
                            "--memory-limit", "1G", "--predict", dir.path() + "/p.csv"});
  EXPECT_EQ(predict.exit_code, 2);
}

}  // namespace
}  // namespace lmm::scale
