// `mpirun -np K lmmgpu fit --memory-limit ...` against one process: the same report, number by
// number. Skips where the build has no MPI or mpirun is not on PATH.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "dist/distributed.h"
#include "scale/clustered_csv.h"
#include "support/cli_runner.h"

namespace lmm::dist {
namespace {

using lmm::testing::ClusteredCsv;
using lmm::testing::ClusteredCsvOptions;
using lmm::testing::TempDir;

bool HaveMpirun() { return std::system("command -v mpirun > /dev/null 2>&1") == 0; }

// Whether `lmmgpu --version` lists a CUDA device (CUDA build on a machine with a GPU).
bool HaveDevice() {
  const auto r = lmm::testing::RunCli({"--version"});
  return r.out.find("CUDA device 0:") != std::string::npos;
}

// Runs the fit under mpirun with `ranks` processes (0: without mpirun); returns the JSON report.
nlohmann::json RunFit(const TempDir& dir, const std::string& data, const std::string& formula,
                      int ranks, const std::string& extra = "") {
  const std::string out = dir.path() + "/fit" + std::to_string(ranks) + ".json";
  std::string command;
  if (ranks > 0)
    command =
        "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
        "OMPI_MCA_rmaps_base_oversubscribe=1 "
        "mpirun --oversubscribe -np " +
        std::to_string(ranks) + " ";
  command += std::string(LMMGPU_EXE) + " fit --data '" + data + "' --formula '" + formula +
             "' --memory-limit 128M --format json --output '" + out + "' " + extra + " 2> '" +
             dir.path() + "/err.txt'";
  const int rc = std::system(command.c_str());
  EXPECT_EQ(rc, 0) << command << "\n" << lmm::testing::ReadFile(dir.path() + "/err.txt");
  if (rc != 0) return {};
  return nlohmann::json::parse(lmm::testing::ReadFile(out));
}

// Every number of `b` equals `a`'s to `rel` relative (absolute below 1), except timings, the
// build report and derivative-based diagnostics; variance-component SEs (finite differences of
// the objective, step 1e-4: rounding of 1e-16 in the objective moves them by ~1e-8) to 1e-6.
void ExpectSameReport(const nlohmann::json& a, const nlohmann::json& b, const std::string& path) {
  static const std::vector<std::string> skipped = {"/convergence", "/streaming", "/response_hash",
                                                   "/iterations", "/evaluations"};
  for (const std::string& s : skipped)
    if (path == s) return;
  ASSERT_EQ(a.type(), b.type()) << path;
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      ASSERT_TRUE(b.contains(it.key())) << path << "/" << it.key();
      ExpectSameReport(it.value(), b.at(it.key()), path + "/" + it.key());
    }
  } else if (a.is_array()) {
    ASSERT_EQ(a.size(), b.size()) << path;
    for (size_t i = 0; i < a.size(); ++i)
      ExpectSameReport(a[i], b[i], path + "/" + std::to_string(i));
  } else if (a.is_number_float()) {
    const bool fd =
        (path.find("/random_effects") == 0 || path.find("/residual") == 0) &&
        (path.find("std_error") != std::string::npos || path.find("conf_") != std::string::npos);
    const double rel = fd ? 1e-6 : 1e-10;
    const double x = a.get<double>(), y = b.get<double>();
    EXPECT_LE(std::abs(x - y), rel * std::max(1.0, std::abs(x)))
        << path << ": " << x << " vs " << y;
  } else {
    EXPECT_EQ(a, b) << path;
  }
}

class MpiFit : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveMpi()) GTEST_SKIP() << "this build has no MPI support";
    if (!HaveMpirun()) GTEST_SKIP() << "mpirun is not on PATH";
  }
};

TEST_F(MpiFit, TwoAndThreeRanksGiveTheOneProcessResults) {
  TempDir dir;
  ClusteredCsvOptions o;
  o.rows = 20000;
  o.clusters = 300;
  const std::string data = dir.Write("d.csv", ClusteredCsv(o));
  const std::string formula = "y ~ x1 + x2 + f + (1 + x1 | g)";
  const nlohmann::json one = RunFit(dir, data, formula, 0);
  ASSERT_FALSE(one.is_null());
  EXPECT_EQ(one["streaming"]["processes"], 1);
  for (int ranks : {1, 2, 3}) {
    SCOPED_TRACE(ranks);
    const nlohmann::json many = RunFit(dir, data, formula, ranks);
    ASSERT_FALSE(many.is_null());
    EXPECT_EQ(many["streaming"]["processes"], ranks);
    ExpectSameReport(one, many, "");
  }
}

TEST_F(MpiFit, NumericGroupsAliasingAndMlAcrossRanks) {
  TempDir dir;
  ClusteredCsvOptions o;
  o.rows = 5000;
  o.clusters = 50;
  o.numeric_groups = true;
  o.aliased_column = true;
  const std::string data = dir.Write("d.csv", ClusteredCsv(o));
  const std::string formula = "y ~ x1 + x2 + x3 + f + (1 | g)";
  const nlohmann::json one = RunFit(dir, data, formula, 0, "--ml");
  const nlohmann::json three = RunFit(dir, data, formula, 3, "--ml");
  ASSERT_FALSE(one.is_null());
  ASSERT_FALSE(three.is_null());
  EXPECT_EQ(three["aliased"], nlohmann::json::array({"x3"}));
  ExpectSameReport(one, three, "");
}

// Each rank on its GPU (rank r on device r mod count): the same report as one process on its GPU
// for 2 and 3 ranks (the blocks' sums are added in block order whatever the ranks), and the CPU's
// to 1e-8 (the order of the sums inside a block differs). Without a device, --backend gpu fails on
// every rank with the usage exit code and the reason.
TEST_F(MpiFit, EachRankOnItsGpuGivesTheOneProcessResults) {
  TempDir dir;
  ClusteredCsvOptions o;
  o.rows = 20000;
  o.clusters = 3000;
  const std::string data = dir.Write("d.csv", ClusteredCsv(o));
  const std::string formula = "y ~ x1 + x2 + f + (1 + x1 | g)";
  if (!HaveDevice()) {
    const std::string command =
        "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe -np 2 " +
        std::string(LMMGPU_EXE) + " fit --data '" + data + "' --formula '" + formula +
        "' --memory-limit 128M --backend gpu > /dev/null 2> '" + dir.path() + "/err.txt'";
    const int rc = std::system(command.c_str());
    ASSERT_TRUE(WIFEXITED(rc));
    EXPECT_EQ(WEXITSTATUS(rc), 2);
    EXPECT_NE(lmm::testing::ReadFile(dir.path() + "/err.txt")
                  .find("--backend gpu: the GPU backend cannot be used: "),
              std::string::npos);
    GTEST_SKIP() << "no CUDA device: checked the refusal only";
  }
  const nlohmann::json cpu = RunFit(dir, data, formula, 0, "--backend cpu");
  const nlohmann::json one = RunFit(dir, data, formula, 0, "--backend gpu");
  ASSERT_FALSE(one.is_null());
  EXPECT_EQ(one["backend"], "gpu");
  for (int ranks : {2, 3}) {
    SCOPED_TRACE(ranks);
    const nlohmann::json many = RunFit(dir, data, formula, ranks, "--backend gpu");
    ASSERT_FALSE(many.is_null());
    EXPECT_EQ(many["backend"], "gpu");
    ExpectSameReport(one, many, "");
  }
  const double expected = cpu["loglik"].get<double>();
  EXPECT_NEAR(one["loglik"].get<double>(), expected, 1e-8 * std::abs(expected));
}

TEST_F(MpiFit, AnErrorOnTheRanksExitsWithItsCode) {
  TempDir dir;
  const std::string data = dir.Write("d.csv", ClusteredCsv({}));
  const std::string command =
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe -np 2 " +
      std::string(LMMGPU_EXE) + " fit --data '" + data +
      "' --formula 'y ~ x1 + (1 | nope)' --memory-limit 128M > /dev/null 2>&1";
  const int rc = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 2);
}

}  // namespace
}  // namespace lmm::dist
