// The kill test of issue 7: a batch killed with SIGKILL at random moments and resumed each time
// ends with every result identical (timing fields aside) to an uninterrupted run, and no moment
// shows a partial, corrupt or temporary file under a final name.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "batch/batch_test_util.h"

namespace lmm {
namespace {

using batch_testing::ListDir;
using batch_testing::ReadFile;
using batch_testing::TempDir;
using nlohmann::json;

// y = 10 + 2 x + b0_g + b1_g x + e with sd(b0) = 2, sd(b1) = 0.5, sd(e) = 1; Box-Muller on
// mt19937_64 so that the file is the same on every platform.
std::string SimulatedCsv(int rows, int groups, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&rng]() { return (static_cast<double>(rng() >> 11) + 0.5) / 9007199254740992.0; };
  auto normal = [&uniform]() {
    return std::sqrt(-2 * std::log(uniform())) * std::cos(6.283185307179586 * uniform());
  };
  std::vector<double> b0(static_cast<size_t>(groups)), b1(static_cast<size_t>(groups));
  for (int g = 0; g < groups; ++g) {
    b0[static_cast<size_t>(g)] = 2 * normal();
    b1[static_cast<size_t>(g)] = 0.5 * normal();
  }
  std::string csv = "y,x,z,g\n";
  for (int i = 0; i < rows; ++i) {
    const int g = i % groups;
    const double x = uniform() * 4, z = normal();
    const double y = 10 + 2 * x + 0.3 * z + b0[static_cast<size_t>(g)] +
                     b1[static_cast<size_t>(g)] * x + normal();
    csv += fmt::format("{:.6f},{:.6f},{:.6f},g{}\n", y, x, z, g);
  }
  return csv;
}

std::string KillManifest() {
  const std::vector<std::string> formulas = {"y ~ x + (x | g)", "y ~ x + z + (1 | g)",
                                             "y ~ x + (1 | g) + (0 + x | g)"};
  json jobs = json::array();
  for (int d = 0; d < 4; ++d)
    for (size_t f = 0; f < formulas.size(); ++f)
      for (const std::string method : {"REML", "ML"}) {
        json job = {{"id", fmt::format("d{}-f{}-{}", d, f, method)},
                    {"data", fmt::format("sim{}.csv", d)},
                    {"formula", formulas[f]},
                    {"method", method}};
        if (f == 0) job["ranef"] = true;
        jobs.push_back(job);
      }
  jobs.push_back({{"id", "lost"}, {"data", "lost.csv"}, {"formula", "y ~ x + (1 | g)"}});
  return jobs.dump(1);
}

// What may be visible at any moment: complete results, error records, CSV tables, the summary.
void CheckNothingPartial(const std::string& out, const std::string& reference) {
  for (const std::string& name : ListDir(out)) {
    SCOPED_TRACE(name);
    if (name == ".lmmgpu-batch.lock") continue;
    if (name[0] == '.') {
      // Only AtomicFile's temporaries of a killed writer: ".NAME.tmp.XXXXXX".
      EXPECT_NE(name.find(".tmp."), std::string::npos);
      continue;
    }
    EXPECT_TRUE(std::filesystem::exists(reference + "/" + name)) << "unexpected file";
    const std::string text = ReadFile(out + "/" + name);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
    if (name.ends_with(".json")) {
      const json j = json::parse(text, nullptr, false);
      ASSERT_FALSE(j.is_discarded()) << "corrupt JSON";
      EXPECT_TRUE(j.contains("inputs"));
    } else if (name != "summary.csv") {
      EXPECT_EQ(text, ReadFile(reference + "/" + name));  // ranef tables: complete or absent
    }
  }
}

// Result and error records in `dir`: jobs done.
size_t JobRecords(const std::string& dir) {
  if (!std::filesystem::exists(dir)) return 0;
  size_t n = 0;
  for (const std::string& name : ListDir(dir)) n += name[0] != '.' && name.ends_with(".json");
  return n;
}

// summary.csv without the seconds and message columns (resumed jobs say so in the message).
std::string SummaryCore(const std::string& path) {
  std::istringstream in(ReadFile(path));
  std::string line, out;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::string field;
    std::istringstream ls(line);
    while (std::getline(ls, field, ',')) f.push_back(field);
    f.resize(6);
    out += f[0] + "," + f[1] + "," + f[2] + "," + f[4] + "\n";
  }
  return out;
}

TEST(KillTest, KilledAndResumedBatchEqualsUninterruptedRun) {
  TempDir dir;
  for (int d = 0; d < 4; ++d)
    dir.Write(fmt::format("sim{}.csv", d), SimulatedCsv(20000 + 4000 * d, 300, 1000 + d));
  const std::string manifest = dir.Write("m.json", KillManifest());
  const std::string reference = dir.path() + "/reference";
  const std::string out = dir.path() + "/killed";

  const auto t0 = std::chrono::steady_clock::now();
  const batch_testing::CliResult r =
      batch_testing::RunCli({"batch", manifest, "--out-dir", reference, "--threads", "1"});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.exit_code, 4) << r.err;  // the one lost data file
  ASSERT_NE(r.err.find("25 jobs: 24 ok"), std::string::npos) << r.err;

  // Kill moments drawn from a fixed seed, uniform over what is left of the work (as a fraction of
  // the uninterrupted run's time by the share of jobs not done yet), 3 ms at least.
  std::mt19937 rng(20261121);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const size_t jobs = JobRecords(reference);
  int killed = 0;
  // Rounds until every job is done (a run may finish before its signal), 30 at most.
  for (int round = 0; round < 30 && JobRecords(out) < jobs; ++round) {
    const double done = static_cast<double>(JobRecords(out)) / static_cast<double>(jobs);
    const double left = std::max(0.0, 1.0 - done) * seconds;
    const double at = 0.003 + unit(rng) * 0.6 * std::max(left, 0.2 * seconds);
    const pid_t pid = batch_testing::StartCli(
        {"batch", manifest, "--out-dir", out, "--resume", "--threads", "1", "--jobs",
         round % 2 == 0 ? "1" : "2"});  // two jobs at a time in odd rounds
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::duration<double>(at));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status)) {
      EXPECT_EQ(WTERMSIG(status), SIGKILL);
      ++killed;  // else it had finished before the signal
    }
    SCOPED_TRACE(fmt::format("after kill round {}", round));
    if (std::filesystem::exists(out)) CheckNothingPartial(out, reference);
    std::printf("round %d: %s at %.3f s, %zu of %zu jobs done\n", round,
                WIFSIGNALED(status) ? "killed" : "finished", at, JobRecords(out), jobs);
  }
  std::printf("uninterrupted run: %.3f s, %zu files\n", seconds, ListDir(reference).size());
  EXPECT_GE(killed, 3);

  const batch_testing::CliResult last =
      batch_testing::RunCli({"batch", manifest, "--out-dir", out, "--resume", "--threads", "1"});
  EXPECT_EQ(last.exit_code, 4) << last.err;
  std::vector<std::string> names = ListDir(out);
  EXPECT_EQ(names, ListDir(reference));  // no temporary file left, nothing missing
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    if (name == ".lmmgpu-batch.lock") continue;
    if (name == "summary.csv") {
      EXPECT_EQ(SummaryCore(out + "/" + name), SummaryCore(reference + "/" + name));
    } else {
      EXPECT_EQ(batch_testing::WithoutSecondsLines(ReadFile(out + "/" + name)),
                batch_testing::WithoutSecondsLines(ReadFile(reference + "/" + name)));
    }
  }
}

}  // namespace
}  // namespace lmm
