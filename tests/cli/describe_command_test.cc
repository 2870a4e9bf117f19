// `lmmgpu describe` end to end: the shared reference models, the bundled example, file variants.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/cli_runner.h"

namespace lmm {
namespace {

using testing::RunCli;

TEST(DescribeCommand, BundledExample) {
  const auto r = RunCli({"describe", "--data", std::string(LMM_SOURCE_DIR) + "/examples/sleepstudy.csv",
                         "--formula", "Reaction ~ Days + (Days | Subject)"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("180 read, 180 used, 0 dropped"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(Intercept), Days"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Subject"), std::string::npos) << r.out;
}

// Done-when of the foundation issue: for each reference fit, describe reports its nobs, its group
// counts and exactly its fixed-effect column names.
TEST(DescribeCommand, ReportsEachReferenceModel) {
  const std::filesystem::path dir = std::string(LMM_SHARED_DIR) + "/reference";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no ../shared/reference";
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const nlohmann::json ref = nlohmann::json::parse(std::ifstream(entry.path()));
    SCOPED_TRACE(entry.path().filename().string());
    const std::string data = std::string(LMM_SHARED_DIR) + "/" +
                             ref["data"].get<std::string>().substr(std::string("shared/").size());
    const auto r = RunCli({"describe", "--format", "json", "--data", data, "--formula",
                           ref["formula"].get<std::string>()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json d = nlohmann::json::parse(r.out);
    EXPECT_EQ(d["nobs"], ref["nobs"]);
    EXPECT_EQ(d["rows_read"], ref["nobs"]);
    std::vector<std::string> want;
    for (const auto& [name, _] : ref["fixed"].items()) want.push_back(name);
    std::vector<std::string> got = d["fixed_effects"];
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want);
    if (ref.contains("ngroups")) {
      ASSERT_EQ(d["groups"].size(), ref["ngroups"].size());
      for (const auto& g : d["groups"]) EXPECT_EQ(g["levels"], ref["ngroups"][g["name"].get<std::string>()]);
    }
    ++checked;
  }
  EXPECT_GE(checked, 12);
}

// The same table written with a BOM, CRLF line ends and every field quoted describes identically.
TEST(DescribeCommand, BomCrlfAndQuotesDescribeLikePlainFile) {
  testing::TempDir dir;
  std::string plain = "Reaction,Days,Subject\n", fancy = "\xEF\xBB\xBF\"Reaction\",\"Days\",\"Subject\"\r\n";
  for (int s = 0; s < 6; ++s)
    for (int d = 0; d < 5; ++d) {
      const std::string y = std::to_string(200 + 7 * s + 3.25 * d + (d * s) % 4);
      plain += y + "," + std::to_string(d) + ",S" + std::to_string(s) + "\n";
      fancy += "\"" + y + "\",\"" + std::to_string(d) + "\",\"S" + std::to_string(s) + "\"\r\n";
    }
  const std::string formula = "Reaction ~ Days + (Days | Subject)";
  const auto a = RunCli({"describe", "--format", "json", "--data", dir.Write("a.csv", plain),
                         "--formula", formula});
  const auto b = RunCli({"describe", "--format", "json", "--data", dir.Write("b.csv", fancy),
                         "--formula", formula});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  nlohmann::json ja = nlohmann::json::parse(a.out), jb = nlohmann::json::parse(b.out);
  ja.erase("data");
  jb.erase("data");
  EXPECT_EQ(ja, jb);
  EXPECT_EQ(ja["nobs"], 30);
}

TEST(DescribeCommand, OutputFileIsWritten) {
  testing::TempDir dir;
  const std::string out = dir.path() + "/describe.json";
  const auto r = RunCli({"describe", "--format", "json", "--output", out, "--data",
                         std::string(LMM_SOURCE_DIR) + "/examples/sleepstudy.csv", "--formula",
                         "Reaction ~ Days + (1 | Subject)"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_EQ(nlohmann::json::parse(testing::ReadFile(out))["nobs"], 180);
}

TEST(Cli, VersionNamesBuildAndCuda) {
  const auto r = RunCli({"--version"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("lmmgpu "), std::string::npos);
  EXPECT_NE(r.out.find("CUDA backend: "), std::string::npos);
  EXPECT_NE(r.out.find("build type: "), std::string::npos);
}

TEST(Cli, HelpListsCommandsAndExitCodes) {
  const auto r = RunCli({"--help"});
  ASSERT_EQ(r.exit_code, 0);
  for (const char* word : {"fit", "describe", "Exit codes"})
    EXPECT_NE(r.out.find(word), std::string::npos) << word;
}

}  // namespace
}  // namespace lmm
