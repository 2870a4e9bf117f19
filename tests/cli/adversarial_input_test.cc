// Regression tests from an adversarial pass over the CLI: inputs a user produces by mistake must
// give a clear error (exit code, the flag or column and what is wrong), never a crash, a hang, a
// destroyed input or a silently different model. One test per defect found, named after what broke.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "support/cli_runner.h"

namespace lmm {
namespace {

using testing::ReadFile;
using testing::RunCli;
using testing::TempDir;

const std::string kSleep = std::string(LMM_SOURCE_DIR) + "/examples/sleepstudy.csv";
const char* kSleepFormula = "Reaction ~ Days + (1 | Subject)";

// Ten rows in five clusters of two; `row9` replaces the ninth data row ("y,x,g").
std::string SmallCsv(const std::string& row9) {
  return "y,x,g\n1,2,a\n2,3,a\n3,1,b\n4,5,b\n5,2,c\n3,3,c\n6,1,d\n2,2,d\n" + row9 + "\n1,1,e\n";
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Was: the report went to a temporary file in /dev renamed over the /dev/stdout symlink (as root
// it replaced the link with a regular file; otherwise "Permission denied", exit 2). /dev/fd/1 takes
// the same path through AtomicFile; it is the one tested, because a regression on /dev/stdout run
// as root would damage the machine's /dev.
TEST(AdversarialOutput, DevFdWritesTheReportToThatDescriptor) {
  const auto r =
      RunCli({"fit", "--data", kSleep, "--formula", kSleepFormula, "--output", "/dev/fd/1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "Linear mixed model fit by REML")) << r.out;
  const auto closed =
      RunCli({"describe", "--data", kSleep, "--formula", kSleepFormula, "--output", "/dev/fd/99"});
  EXPECT_EQ(closed.exit_code, 2) << closed.err;
  EXPECT_TRUE(Contains(closed.err, "/dev/fd/99: cannot write")) << closed.err;
}

// Was: the symbolic link itself was replaced by a regular file; the file it names kept old text.
TEST(AdversarialOutput, OutputThroughASymlinkReplacesItsTarget) {
  TempDir dir;
  const std::string real = dir.Write("real.txt", "old\n");
  const std::string link = dir.path() + "/link.txt";
  std::filesystem::create_symlink(real, link);
  const auto r =
      RunCli({"describe", "--data", kSleep, "--formula", kSleepFormula, "--output", link});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_TRUE(Contains(ReadFile(real), "Response:  Reaction")) << ReadFile(real);
}

// Was: exit 0, the data file replaced by the report.
TEST(AdversarialOutput, OutputOverTheDataFileIsRefused) {
  TempDir dir;
  const std::string data = dir.Write("data.csv", ReadFile(kSleep));
  for (const char* command : {"fit", "describe"}) {
    const auto r = RunCli({command, "--data", data, "--formula", kSleepFormula, "--output",
                           dir.path() + "/./data.csv"});
    EXPECT_EQ(r.exit_code, 2) << command << ": " << r.err;
    EXPECT_TRUE(Contains(r.err, "--output") && Contains(r.err, "same file as --data")) << r.err;
  }
  const auto r = RunCli({"fit", "--data", data, "--formula", kSleepFormula, "--ranef", data});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "--ranef")) << r.err;
  EXPECT_EQ(ReadFile(data), ReadFile(kSleep));
}

// Was: exit 0, the conditional modes silently replaced by the report.
TEST(AdversarialOutput, TwoOutputsOnOneFileAreRefused) {
  TempDir dir;
  const std::string out = dir.path() + "/out.csv";
  const auto r = RunCli(
      {"fit", "--data", kSleep, "--formula", kSleepFormula, "--ranef", out, "--output", out});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "--ranef") && Contains(r.err, "--output") &&
              Contains(r.err, "same file"))
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

// Was: exit 0, the saved fit A.json replaced by the test's report.
TEST(AdversarialOutput, LrtestOutputOverASavedFitIsRefused) {
  TempDir dir;
  const std::string a = dir.path() + "/a.json";
  const std::string b = dir.path() + "/b.json";
  ASSERT_EQ(RunCli({"fit", "--data", kSleep, "--formula", "Reaction ~ Days + (Days | Subject)",
                    "--format", "json", "--output", a})
                .exit_code,
            0);
  ASSERT_EQ(RunCli({"fit", "--data", kSleep, "--formula", kSleepFormula, "--format", "json",
                    "--output", b})
                .exit_code,
            0);
  const std::string saved = ReadFile(a);
  const auto r = RunCli({"lrtest", a, b, "--output", a});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "same file as the first fit")) << r.err;
  EXPECT_EQ(ReadFile(a), saved);
}

// Was: the fit ran, --ranef was written, then the report failed: a partial set of outputs.
TEST(AdversarialOutput, UnwritableOutputFailsBeforeAnyOutputIsWritten) {
  TempDir dir;
  const std::string ranef = dir.path() + "/ranef.csv";
  const std::string report = dir.path() + "/missing/report.txt";
  const auto r = RunCli(
      {"fit", "--data", kSleep, "--formula", kSleepFormula, "--ranef", ranef, "--output", report});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, report + ": cannot write")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(ranef));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            0)
      << "a temporary file was left behind";
}

// Was: "a/b" and "a_b" were both written to DIR/a_b.json: one result silently lost, exit 0.
TEST(AdversarialOutput, ResponsesWhoseNamesDifferInUnsafeBytesGetTheirOwnFiles) {
  TempDir dir;
  const std::string data = dir.Write("r.csv",
                                     "a/b,a_b,.y,x,g\n1,2,1,1,A\n2,3,3,2,A\n3,3,2,3,B\n4,1,4,1,B\n"
                                     "2,3,1,2,C\n3,5,2,3,C\n5,3,3,2,D\n1,3,5,1,D\n");
  const std::string out = dir.path() + "/out";
  const auto r = RunCli({"fit", "--data", data, "--formula", "~ x + (1 | g)", "--responses",
                         "a/b,a_b,.y", "--output-dir", out});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(ReadFile(out + "/a%2Fb.json"), "\"response\": \"a/b\""));
  EXPECT_TRUE(Contains(ReadFile(out + "/a_b.json"), "\"response\": \"a_b\""));
  EXPECT_TRUE(Contains(ReadFile(out + "/%2Ey.json"), "\"response\": \".y\""));
}

// Was: `batch jobs.json --out-dir .` with a job "jobs" replaced the manifest by a fit, exit 0;
// a data file named summary.csv in DIR was replaced by the batch summary.
TEST(AdversarialOutput, BatchResultsThatWouldReplaceItsInputsAreRefused) {
  TempDir dir;
  const auto job = [](const std::string& data) {
    return "[{\"id\": \"jobs\", \"data\": \"" + data +
           "\", \"formula\": \"Reaction ~ Days + (1 | Subject)\"}]";
  };
  const std::string data = dir.Write("summary.csv", ReadFile(kSleep));
  const std::string manifest = dir.Write("jobs.json", job("summary.csv"));
  const auto r = RunCli({"batch", manifest, "--out-dir", dir.path()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "which is the data file of job 'jobs'") &&
              Contains(r.err, "choose another --out-dir"))
      << r.err;
  EXPECT_EQ(ReadFile(manifest), job("summary.csv"));
  EXPECT_EQ(ReadFile(data), ReadFile(kSleep));
  dir.Write("data.csv", ReadFile(kSleep));
  dir.Write("jobs.json", job("data.csv"));
  const auto m = RunCli({"batch", manifest, "--out-dir", dir.path()});
  EXPECT_EQ(m.exit_code, 2) << m.err;
  EXPECT_TRUE(Contains(m.err, "jobs.json:1:2: job 'jobs' would write") &&
              Contains(m.err, "which is the manifest"))
      << m.err;
  EXPECT_EQ(ReadFile(manifest), job("data.csv"));
}

// Was: exit 0 and the data file DIR/summary.csv replaced by the summary of the fits.
TEST(AdversarialOutput, ResponsesSummaryOverTheDataFileIsRefused) {
  TempDir dir;
  const std::string csv =
      "y1,y2,x,g\n1,2,1,A\n2,3,2,A\n3,3,3,B\n4,1,1,B\n2,3,2,C\n3,5,3,C\n5,3,2,D\n1,3,1,D\n";
  const std::string data = dir.Write("summary.csv", csv);
  const auto r = RunCli({"fit", "--data", data, "--formula", "~ x + (1 | g)", "--responses",
                         "y1,y2", "--output-dir", dir.path()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "summary.csv is the --data file")) << r.err;
  EXPECT_EQ(ReadFile(data), csv);
}

// Was: exit 1, "internal error: ... boost::math::quantile ... Probability argument is nan".
TEST(AdversarialOptions, LevelNanIsAUsageError) {
  const auto r = RunCli({"fit", "--data", kSleep, "--formula", kSleepFormula, "--level", "nan"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "--level")) << r.err;
  EXPECT_FALSE(Contains(r.err, "internal error")) << r.err;
}

// Was: exit 1 "out of memory" (the simulated effects of 3e12 clusters were allocated).
TEST(AdversarialOptions, SimulateRefusesMoreLevelsThanAFactorCanHave) {
  TempDir dir;
  const auto r = RunCli({"simulate", "--output", dir.path() + "/s.csv", "--rows", "3000000000000",
                         "--clusters", "3000000000000"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "--clusters and --crossed must be at most 2147483647")) << r.err;
}

// Was: "--sep must be one character ..., got '§'" for what is one character (two bytes).
TEST(AdversarialOptions, SeparatorMustBeOneAsciiCharacter) {
  const auto r = RunCli({"describe", "--data", kSleep, "--formula", kSleepFormula, "--sep", "§"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "--sep must be one ASCII character")) << r.err;
}

// Was: exit 0 with the option ignored: --output-dir with --memory-limit (no --responses), and
// --output beside --output-dir with --responses (nothing written to --output).
TEST(AdversarialOptions, OutputDirCombinationsThatWouldBeIgnoredAreRefused) {
  TempDir dir;
  const auto streamed = RunCli({"fit", "--data", kSleep, "--formula", kSleepFormula,
                                "--memory-limit", "64M", "--output-dir", dir.path() + "/d"});
  EXPECT_EQ(streamed.exit_code, 2) << streamed.err;
  EXPECT_TRUE(Contains(streamed.err, "--output-dir applies with --responses only")) << streamed.err;
  const auto both =
      RunCli({"fit", "--data", kSleep, "--formula", "~ Days + (1 | Subject)", "--responses",
              "Reaction", "--output-dir", dir.path() + "/d", "--output", dir.path() + "/a.json"});
  EXPECT_EQ(both.exit_code, 2) << both.err;
  EXPECT_TRUE(Contains(both.err, "--output and --output-dir are alternatives")) << both.err;
}

// Was: the text report titled 90% intervals "[95% Conf." (the title was fixed).
TEST(AdversarialOptions, TextReportTitlesIntervalsWithTheLevel) {
  const auto r = RunCli({"fit", "--data", kSleep, "--formula", kSleepFormula, "--level", "90"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(Contains(r.out, "[95% Conf.")) << r.out;
  // The fixed-effects and the random-effects tables.
  const size_t first = r.out.find("[90% Conf.");
  ASSERT_NE(first, std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[90% Conf.", first + 1), std::string::npos) << r.out;
}

// Was: exit 0 with the hypothesis' right-hand side infinite: estimate null and p = 0.
TEST(AdversarialOptions, HypothesisNumbersBeyondTheDoubleRangeAreRefused) {
  const auto r = RunCli({"fit", "--data", kSleep, "--formula", kSleepFormula, "--test",
                         "Days = 1e400", "--ddf", "satterthwaite"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "--test \"Days = 1e400\"") &&
              Contains(r.err, "a number within the double range"))
      << r.err;
}

// Was: --threads 100000 started 100,000 threads (hung past 60 s, exhausted the process limit);
// --threads -1 and --jobs 0 printed "not in range 0.000000 to 1797693...".
TEST(AdversarialOptions, ThreadAndJobCountsOutOfRangeAreRefused) {
  const auto threads =
      RunCli({"fit", "--data", kSleep, "--formula", kSleepFormula, "--threads", "100000"});
  EXPECT_EQ(threads.exit_code, 2) << threads.err;
  EXPECT_TRUE(Contains(threads.err, "--threads") && Contains(threads.err, "0 to 4096"))
      << threads.err;
  TempDir dir;
  const std::string manifest =
      dir.Write("m.csv", "id,data,formula\na," + kSleep + "," + std::string(kSleepFormula) + "\n");
  const auto jobs = RunCli({"batch", manifest, "--out-dir", dir.path() + "/out", "--jobs", "0"});
  EXPECT_EQ(jobs.exit_code, 2) << jobs.err;
  EXPECT_TRUE(Contains(jobs.err, "--jobs") && Contains(jobs.err, "1 to 4096")) << jobs.err;
}

// Was: exit 0 and a CSV whose y column is all nan or -inf.
TEST(AdversarialOptions, SimulateRefusesNonFiniteParameters) {
  TempDir dir;
  const std::string out = dir.path() + "/sim.csv";
  for (const std::vector<std::string>& bad : {std::vector<std::string>{"--sd-intercept", "nan"},
                                              {"--sd-residual", "inf"},
                                              {"--sd-slope", "inf"},
                                              {"--correlation", "nan"}}) {
    std::vector<std::string> args = {"simulate", "--output",   out, "--rows",
                                     "20",       "--clusters", "4"};
    args.insert(args.end(), bad.begin(), bad.end());
    const auto r = RunCli(args);
    EXPECT_EQ(r.exit_code, 2) << bad[0] << " " << bad[1] << ": " << r.err;
    EXPECT_TRUE(Contains(r.err, "simulate:")) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << bad[0] << " " << bad[1];
  }
}

// Was: exit 1, "internal error: basic_filebuf::underflow error reading the file: Is a directory".
TEST(AdversarialInputs, LrtestOfADirectoryIsAUsageError) {
  TempDir dir;
  const auto r = RunCli({"lrtest", dir.path(), dir.path()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "is a directory")) << r.err;
}

// Was (UBSan): df_model 1e12 converted to int overflowed; 7.7 was taken as 7.
TEST(AdversarialInputs, LrtestRefusesCountsThatAreNotWholeNumbers) {
  TempDir dir;
  const std::string a = dir.path() + "/a.json";
  ASSERT_EQ(RunCli({"fit", "--data", kSleep, "--formula", kSleepFormula, "--format", "json",
                    "--output", a})
                .exit_code,
            0);
  const std::string text = ReadFile(a);
  const size_t at = text.find("\"df_model\": ");
  ASSERT_NE(at, std::string::npos);
  const size_t end = text.find(',', at);
  for (const char* bad : {"1e12", "7.7", "-4"}) {
    const std::string b =
        dir.Write("b.json", text.substr(0, at) + "\"df_model\": " + bad + text.substr(end));
    const auto r = RunCli({"lrtest", a, b});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_TRUE(Contains(r.err, "df_model is") && Contains(r.err, "not a count")) << r.err;
  }
}

// Was: "the manifest is empty".
TEST(AdversarialInputs, BatchManifestThatIsADirectory) {
  TempDir dir;
  const auto r = RunCli({"batch", dir.path(), "--out-dir", dir.path() + "/out"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "is a directory")) << r.err;
}

// Was: exit 0, a fit of the response on itself (coefficient 1, "Converged: NO", gradient 1e302).
TEST(AdversarialInputs, ResponseOnTheRightHandSideIsAFormulaError) {
  const auto r =
      RunCli({"fit", "--data", kSleep, "--formula", "Reaction ~ Days + Reaction + (1 | Subject)"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "response 'Reaction' is also a fixed-effect term")) << r.err;
  // The caret is under the second "Reaction" (column 19).
  EXPECT_TRUE(Contains(r.err, "\n" + std::string(20, ' ') + "^")) << r.err;
}

// Was: the cell was copied raw into the message: a quoted line break split it over two lines, a
// 10 MB cell made a 10 MB message.
TEST(AdversarialInputs, NonNumberCellIsQuotedOnOneShortLine) {
  TempDir dir;
  for (const std::string& cell : {std::string("\"multi\nline\""), std::string(10000000, 'z')}) {
    const std::string data =
        dir.Write("cell.csv", "y,x,g\n1,2,a\n" + cell + ",3,b\n3,1,b\n4,2,a\n5,1,c\n2,2,c\n");
    const auto r = RunCli({"fit", "--data", data, "--formula", "y ~ x + (1 | g)"});
    EXPECT_EQ(r.exit_code, 2) << r.err.substr(0, 300);
    EXPECT_TRUE(Contains(r.err, data + ":3:1: column 'y' is used as a number, but \""))
        << r.err.substr(0, 300);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err.substr(0, 300);
    EXPECT_LT(r.err.size(), 400u);
  }
}

// Was: x = 1e200 "Dropped as linearly dependent: x" and a fit without x, exit 0 (its norm
// overflowed); y = 1e308: exit 3 "is X of full column rank?".
TEST(AdversarialInputs, ValuesTooLargeForSumsOfSquaresNameTheColumn) {
  TempDir dir;
  struct Case {
    std::string row9, formula, expect;
  };
  for (const Case& c : {Case{"1,1e200,e", "y ~ x + (1 | g)", "fixed-effect column 'x'"},
                        Case{"1e308,2,e", "y ~ x + (1 | g)", "the response 'y'"},
                        Case{"1,1e200,e", "y ~ 1 + (x | g)", "column 'x' of (x | g)"}}) {
    const std::string data = dir.Write("big.csv", SmallCsv(c.row9));
    for (const char* command : {"describe", "fit"}) {
      const auto r = RunCli({command, "--data", data, "--formula", c.formula});
      EXPECT_EQ(r.exit_code, 2) << command << " " << c.formula << ": " << r.err;
      EXPECT_TRUE(Contains(r.err, data + ": " + c.expect) && Contains(r.err, "too large")) << r.err;
    }
    if (c.formula != "y ~ x + (1 | g)") continue;
    // The streaming build (was: exit 3, "is X of full column rank?").
    const auto r = RunCli({"fit", "--data", data, "--formula", c.formula, "--memory-limit", "64M"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(Contains(r.err, data + ": ") && Contains(r.err, "too large")) << r.err;
  }
}

// Was: exit 0, "Converged: yes" with the variance of a random slope on an all-zero column reported
// as 2.79 (its starting value: the likelihood does not depend on it), in memory and streamed; lme4
// aborts R.
TEST(AdversarialInputs, RandomEffectColumnThatIsZeroEverywhereIsRefused) {
  TempDir dir;
  const std::string data =
      dir.Write("z.csv", "y,x,g\n1,0,a\n2,0,a\n3,0,b\n4,0,b\n5,0,c\n3,0,c\n6,0,a\n2,0,b\n");
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, {"--memory-limit", "64M"}}) {
    std::vector<std::string> args = {"fit", "--data", data, "--formula", "y ~ 1 + (0 + x | g)"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = RunCli(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(Contains(r.err, "column 'x' of (0 + x | g) is zero in every row used")) << r.err;
  }
}

// Was: fit --responses recorded y2 = 1e200 as a numerical failure (exit code 3, "is X of full
// column rank?").
TEST(AdversarialInputs, ResponsesTooLargeFailAloneAsDataErrors) {
  TempDir dir;
  const std::string out = dir.path() + "/out";
  const auto r = RunCli(
      {"fit", "--data",
       dir.Write("r.csv",
                 "y1,y2,x,g\n1,2,1,A\n2,3,2,A\n3,1e200,3,B\n4,1,1,B\n2,3,2,C\n3,5,3,C\n5,3,2,D\n"
                 "1,3,1,D\n"),
       "--formula", "~ x + (1 | g)", "--responses", "y1,y2", "--output-dir", out});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  const std::string error = ReadFile(out + "/y2.error.json");
  EXPECT_TRUE(Contains(error, "\"exit_code\": 2") &&
              Contains(error, "the response 'y2' has values too large"))
      << error;
  EXPECT_TRUE(std::filesystem::exists(out + "/y1.json"));
}

// Was: "evaluator: fewer observations than fixed effects" with 8 observations and 8 columns;
// streamed (--memory-limit): exit 3, "is X of full column rank?".
TEST(AdversarialInputs, AsManyFixedEffectsAsObservationsSaysBothCounts) {
  TempDir dir;
  // Uniform(0, 1) values to 3 decimals (Python random, seed 7): rank 8 with the intercept.
  const std::string csv =
      "y,x0,x1,x2,x3,x4,x5,x6,x7,x8,g\n"
      "0.324,0.151,0.651,0.072,0.536,0.366,0.058,0.507,0.037,0.434,g0\n"
      "0.070,0.091,0.425,0.827,0.124,0.223,0.627,0.948,0.577,0.397,g1\n"
      "0.976,0.047,0.858,0.290,0.144,0.118,0.308,0.816,0.181,0.582,g2\n"
      "0.639,0.372,0.548,0.063,0.060,0.206,0.680,0.428,0.314,0.586,g0\n"
      "0.453,0.300,0.794,0.699,0.244,0.574,0.525,0.875,0.729,0.288,g1\n"
      "0.980,0.118,0.418,0.757,0.152,0.489,0.039,0.668,0.765,0.573,g2\n"
      "0.875,0.314,0.695,0.594,0.580,0.456,0.840,0.945,0.474,0.664,g0\n"
      "0.061,0.701,0.647,0.993,0.822,0.285,0.386,0.669,0.023,0.462,g1\n";
  const std::string data = dir.Write("wide.csv", csv);
  const char* formula = "y ~ x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + (1 | g)";
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, {"--memory-limit", "64M"}}) {
    std::vector<std::string> args = {"fit", "--data", data, "--formula", formula};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = RunCli(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(Contains(r.err, "8 observations for 8 fixed-effect columns")) << r.err;
  }
}

// Was: exit 0 with 64-bit IDs 9007199254740993 and 9007199254740992 (and two 20-digit IDs) merged
// into one level each: 5 levels for 7 clusters, as R's read.csv reads them.
TEST(AdversarialInputs, WholeNumberCodesBeyond2To53AreRefusedAsFactors) {
  TempDir dir;
  const std::string data = dir.Write("ids.csv",
                                     "y,x,g\n1,2,9007199254740993\n2,3,9007199254740992\n"
                                     "3,1,9007199254740994\n4,5,9007199254740995\n"
                                     "5,2,12345678901234567891\n3,3,12345678901234567890\n"
                                     "2,2,17\n3,3,17\n");
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, {"--memory-limit", "64M"}}) {
    std::vector<std::string> args = {"fit", "--data", data, "--formula", "y ~ x + (1 | g)"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = RunCli(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(Contains(r.err, "column 'g' is used as a factor") && Contains(r.err, "beyond 2^53"))
        << r.err;
  }
  const auto located = RunCli({"describe", "--data", data, "--formula", "y ~ factor(g) + (1 | x)"});
  EXPECT_EQ(located.exit_code, 2) << located.err;
  EXPECT_TRUE(Contains(located.err, data + ":2: column 'g'")) << located.err;
}

// Was: "no rows left: every row has a missing value in a column the formula uses", naming none.
TEST(AdversarialInputs, AllRowsDroppedNamesTheMissingColumns) {
  TempDir dir;
  const auto r = RunCli({"describe", "--data",
                         dir.Write("na.csv", "y,x,g,z\n1,2,a,NA\n2,3,a,\n3,1,b,NA\nNA,5,b,1\n"),
                         "--formula", "y ~ x + z + (1 | g)"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "no rows left") && Contains(r.err, "(missing y: 1, missing z: 3)"))
      << r.err;
}

// Documented behaviour, pinned: a grouping column of numbers is numeric, so "01" and "1" are one
// level (as R's read.csv reads them); strings are compared byte for byte ("a" and "a " differ).
TEST(AdversarialInputs, NumericGroupingCodesWithLeadingZerosAreOneLevel) {
  TempDir dir;
  const auto zeros = RunCli({"describe", "--format", "json", "--data",
                             dir.Write("z.csv", "y,g\n1,01\n2,1\n3,002\n4,2\n5,3\n3,03\n"),
                             "--formula", "y ~ 1 + (1 | g)"});
  EXPECT_EQ(zeros.exit_code, 0) << zeros.err;
  EXPECT_TRUE(Contains(zeros.out, "\"levels\": 3")) << zeros.out;
  const auto spaces = RunCli({"describe", "--format", "json", "--data",
                              dir.Write("s.csv", "y,g\n1,a\n2,a \n3,b\n4,b\n5,c\n3,c\n"),
                              "--formula", "y ~ 1 + (1 | g)"});
  EXPECT_EQ(spaces.exit_code, 0) << spaces.err;
  EXPECT_TRUE(Contains(spaces.out, "\"levels\": 4")) << spaces.out;
}

}  // namespace
}  // namespace lmm
