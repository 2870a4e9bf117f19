// Every malformed input gives one line on stderr naming the place, and exit code 2.
#include <gtest/gtest.h>

#include <algorithm>

#include "support/cli_runner.h"

namespace lmm {
namespace {

using testing::RunCli;

struct BadInput {
  const char* name;
  std::string bytes;
  const char* formula;
  const char* expect_location;  // substring after the file name, e.g. ":3:5:"
};

class InputErrors : public ::testing::TestWithParam<BadInput> {};

TEST_P(InputErrors, OneLineWithLocationAndExitCode2) {
  const BadInput& bad = GetParam();
  testing::TempDir dir;
  const std::string path = dir.Write("bad.csv", bad.bytes);
  const auto r = RunCli({"describe", "--data", path, "--formula", bad.formula});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(path + bad.expect_location), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

const char* kF = "y ~ x + (1 | g)";

INSTANTIATE_TEST_SUITE_P(
    Csv, InputErrors,
    ::testing::Values(
        BadInput{"empty_file", "", kF, ":"},
        BadInput{"no_data_rows", "y,x,g\n", kF, ":"},
        BadInput{"wrong_field_count", "y,x,g\n1,2,a\n3,4\n", kF, ":3:"},
        BadInput{"unterminated_quote", "y,x,g\n1,2,a\n3,4,\"b\n5,6,c\n", kF, ":3:5:"},
        BadInput{"nul_byte", std::string("y,x,g\n1,2,a\n3,4,b\0x\n5,6,c\n", 26), kF, ":3:"},
        BadInput{"invalid_utf8", "y,x,g\n1,2,a\n3,4,b\xff\n5,6,c\n", kF, ":3:"},
        BadInput{"duplicate_column", "y,x,x,g\n1,2,3,a\n", kF, ":1:"},
        BadInput{"infinity", "y,x,g\n1,2,a\n3,Inf,b\n5,6,c\n", kF, ":3:3:"},
        BadInput{"minus_infinity", "y,x,g\n1,2,a\n3,-Inf,b\n5,6,c\n", kF, ":3:3:"},
        BadInput{"non_number", "y,x,g\n1,2,a\n3,12abc,b\n5,6,c\n7,8,a\n", kF, ":3:3:"},
        BadInput{"missing_column", "y,z,g\n1,2,a\n3,4,b\n", kF, ":"}),
    [](const ::testing::TestParamInfo<BadInput>& p) { return std::string(p.param.name); });

TEST(InputErrorsMore, MissingFile) {
  const auto r = RunCli({"describe", "--data", "/nonexistent/x.csv", "--formula", kF});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/x.csv"), std::string::npos) << r.err;
}

TEST(InputErrorsMore, FormulaErrorShowsCaret) {
  testing::TempDir dir;
  const auto r = RunCli({"describe", "--data", dir.Write("ok.csv", "y,x,g\n1,2,a\n"), "--formula",
                         "y ~ x + (1 | g"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("^"), std::string::npos) << r.err;
}

TEST(InputErrorsMore, UsageErrors) {
  EXPECT_EQ(RunCli({"describe", "--data", "x.csv"}).exit_code, 2);
  EXPECT_EQ(RunCli({"describe", "--bogus"}).exit_code, 2);
  EXPECT_EQ(RunCli({"describe", "--data", "x.csv", "--formula", "y~1", "--sep", "ab"}).exit_code, 2);
}

}  // namespace
}  // namespace lmm
