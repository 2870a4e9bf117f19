// `lmmgpu batch` end to end: good jobs give exactly what single `fit` runs give, bad jobs are
// reported without stopping the others, --resume reruns only what changed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "batch/batch_test_util.h"

namespace lmm {
namespace {

using batch_testing::CliResult;
using batch_testing::ReadFile;
using batch_testing::RunCli;
using batch_testing::TempDir;
using batch_testing::WithoutTimes;
using nlohmann::json;

json SingleFit(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"fit", "--format", "json"};
  all.insert(all.end(), args.begin(), args.end());
  const CliResult r = RunCli(all);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return WithoutTimes(json::parse(r.out));
}

json BatchResult(const std::string& path) {
  json j = WithoutTimes(json::parse(ReadFile(path)));
  j.erase("id");
  j.erase("inputs");
  return j;
}

// Rows of summary.csv by id: the fields after the id.
std::map<std::string, std::vector<std::string>> Summary(const std::string& path) {
  std::map<std::string, std::vector<std::string>> rows;
  std::istringstream in(ReadFile(path));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "id,status,loglik,seconds,backend,message");
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::string field;
    std::istringstream ls(line);
    while (std::getline(ls, field, ',')) fields.push_back(field);
    rows[fields.at(0)] = std::vector<std::string>(fields.begin() + 1, fields.end());
  }
  return rows;
}

class BatchCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(std::string(LMM_SHARED_DIR) + "/data/sleepstudy.csv"))
      GTEST_SKIP() << "no ../shared/data";
    sleep_ = batch_testing::CopySharedData("sleepstudy.csv", dir_.path());
    dyes_ = batch_testing::CopySharedData("dyestuff.csv", dir_.path());
    pen_ = batch_testing::CopySharedData("penicillin.csv", dir_.path());
    out_ = dir_.path() + "/out";
  }

  TempDir dir_;
  std::string sleep_, dyes_, pen_, out_;
};

constexpr const char* kManifest = R"json([
  {"id": "sleep", "data": "sleepstudy.csv", "formula": "Reaction ~ Days + (Days | Subject)"},
  {"id": "sleep-ml", "data": "sleepstudy.csv", "formula": "Reaction ~ Days + (Days | Subject)",
   "method": "ML", "ranef": true, "predict": true},
  {"id": "dyes", "data": "dyestuff.csv", "formula": "Yield ~ 1 + (1 | Batch)", "ddf": "residual"},
  {"id": "pen", "data": "penicillin.csv", "formula": "diameter ~ 1 + (1 | plate) + (1 | sample)",
   "level": 90},
  {"id": "no-file", "data": "missing.csv", "formula": "y ~ 1 + (1 | g)"},
  {"id": "bad-formula", "data": "sleepstudy.csv", "formula": "Reaction ~ Days + (Days | Subject"},
  {"id": "not-numeric", "data": "penicillin.csv", "formula": "plate ~ 1 + (1 | sample)"},
  {"id": "fails", "data": "sleepstudy.csv", "formula": "Reaction ~ Days + (1 | Subject)",
   "method": "ML", "ddf": "kenward-roger"},
  {"id": "bad-option", "data": "sleepstudy.csv", "formula": "Reaction ~ Days + (1 | Subject)",
   "method": "MLE"}
])json";

TEST_F(BatchCommand, GoodJobsMatchSingleFitsAndBadOnesAreReported) {
  const std::string manifest = dir_.Write("m.json", kManifest);
  const CliResult r = RunCli({"batch", manifest, "--out-dir", out_});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("9 jobs: 4 ok (0 kept from an earlier run), 5 failed"), std::string::npos)
      << r.err;
  // Not a terminal: one log line per job.
  EXPECT_NE(r.err.find("lmmgpu batch: [1/9] sleep ok in "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("lmmgpu batch: [5/9] no-file failed (exit 2): "), std::string::npos)
      << r.err;

  EXPECT_EQ(BatchResult(out_ + "/sleep.json"),
            SingleFit({"--data", sleep_, "--formula", "Reaction ~ Days + (Days | Subject)"}));
  EXPECT_EQ(
      BatchResult(out_ + "/sleep-ml.json"),
      SingleFit({"--data", sleep_, "--formula", "Reaction ~ Days + (Days | Subject)", "--ml"}));
  EXPECT_EQ(
      BatchResult(out_ + "/dyes.json"),
      SingleFit({"--data", dyes_, "--formula", "Yield ~ 1 + (1 | Batch)", "--ddf", "residual"}));
  EXPECT_EQ(BatchResult(out_ + "/pen.json"),
            SingleFit({"--data", pen_, "--formula", "diameter ~ 1 + (1 | plate) + (1 | sample)",
                       "--level", "90"}));
  // The CSV tables equal fit --ranef/--predict byte for byte.
  const CliResult single =
      RunCli({"fit", "--data", sleep_, "--formula", "Reaction ~ Days + (Days | Subject)", "--ml",
              "--ranef", dir_.path() + "/r.csv", "--predict", dir_.path() + "/p.csv"});
  ASSERT_EQ(single.exit_code, 0) << single.err;
  EXPECT_EQ(ReadFile(out_ + "/sleep-ml.ranef.csv"), ReadFile(dir_.path() + "/r.csv"));
  EXPECT_EQ(ReadFile(out_ + "/sleep-ml.predict.csv"), ReadFile(dir_.path() + "/p.csv"));

  const std::map<std::string, int> expected_codes = {
      {"no-file", 2}, {"bad-formula", 2}, {"not-numeric", 2}, {"fails", 2}, {"bad-option", 2}};
  for (const auto& [id, code] : expected_codes) {
    SCOPED_TRACE(id);
    EXPECT_FALSE(std::filesystem::exists(out_ + "/" + id + ".json"));
    const json error = json::parse(ReadFile(out_ + "/" + id + ".error.json"));
    EXPECT_EQ(error["id"], id);
    EXPECT_EQ(error["status"], "failed");
    EXPECT_EQ(error["exit_code"], code);
    EXPECT_FALSE(error["message"].get<std::string>().empty());
  }
  EXPECT_NE(ReadFile(out_ + "/no-file.error.json").find("cannot open"), std::string::npos);
  EXPECT_NE(ReadFile(out_ + "/bad-formula.error.json").find("formula error at column 34"),
            std::string::npos);
  EXPECT_NE(ReadFile(out_ + "/not-numeric.error.json").find("'plate' is used as a number"),
            std::string::npos);
  EXPECT_NE(ReadFile(out_ + "/fails.error.json").find("requires REML"), std::string::npos);

  const auto summary = Summary(out_ + "/summary.csv");
  ASSERT_EQ(summary.size(), 9u);
  EXPECT_EQ(summary.at("sleep")[0], "ok");
  EXPECT_EQ(std::stod(summary.at("sleep")[1]),
            json::parse(ReadFile(out_ + "/sleep.json"))["loglik"].get<double>());
  EXPECT_EQ(summary.at("sleep")[3], "cpu");
  EXPECT_EQ(summary.at("no-file")[0], "failed");
  EXPECT_EQ(summary.at("no-file")[1], "");
  // No temporary file is left.
  for (const std::string& name : batch_testing::ListDir(out_))
    EXPECT_TRUE(name == ".lmmgpu-batch.lock" || name[0] != '.') << name;
}

TEST_F(BatchCommand, CsvManifestGivesTheJsonManifestsResults) {
  const std::string json_manifest = dir_.Write("m.json", kManifest);
  const std::string csv_manifest =
      dir_.Write("m.csv",
                 "id,data,formula,method,ranef,predict,ddf,level\n"
                 "sleep,sleepstudy.csv,Reaction ~ Days + (Days | Subject),,,,,\n"
                 "sleep-ml,sleepstudy.csv,Reaction ~ Days + (Days | Subject),ML,true,yes,,\n"
                 "dyes,dyestuff.csv,Yield ~ 1 + (1 | Batch),,,,residual,\n"
                 "pen,penicillin.csv,diameter ~ 1 + (1 | plate) + (1 | sample),,,,,90\n");
  ASSERT_EQ(RunCli({"batch", json_manifest, "--out-dir", out_}).exit_code, 4);
  const std::string out_csv = dir_.path() + "/out-csv";
  const CliResult r = RunCli({"batch", csv_manifest, "--out-dir", out_csv, "--jobs", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string id : {"sleep", "sleep-ml", "dyes", "pen"}) {
    SCOPED_TRACE(id);
    // Same inputs record too: the CSV and JSON forms of a job are the same job.
    EXPECT_EQ(batch_testing::WithoutSecondsLines(ReadFile(out_ + "/" + id + ".json")),
              batch_testing::WithoutSecondsLines(ReadFile(out_csv + "/" + id + ".json")));
  }
}

TEST_F(BatchCommand, ResumeSkipsUnchangedJobsAndRerunsChangedOnes) {
  const std::string manifest = dir_.Write("m.json", kManifest);
  ASSERT_EQ(RunCli({"batch", manifest, "--out-dir", out_}).exit_code, 4);
  const std::string dyes_before = ReadFile(out_ + "/dyes.json");
  // A temporary file of a killed writer is removed.
  const std::string stale = out_ + "/.sleep.json.tmp.Ab12Cd";
  std::ofstream(stale) << "{partial";

  CliResult r = RunCli({"batch", manifest, "--out-dir", out_, "--resume"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("4 ok (4 kept from an earlier run), 5 failed"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_EQ(ReadFile(out_ + "/dyes.json"), dyes_before);  // not rewritten
  auto summary = Summary(out_ + "/summary.csv");
  EXPECT_EQ(summary.at("dyes")[4], "unchanged inputs: kept from an earlier run");

  // Touching without changing the bytes keeps results (the record holds the content's hash);
  // changing the bytes of the sleepstudy data reruns the jobs that read it, and only those.
  std::filesystem::last_write_time(dyes_, std::filesystem::file_time_type::clock::now());
  std::ofstream(sleep_, std::ios::app) << "\n";  // a blank line: same data, other bytes
  std::filesystem::remove(out_ + "/pen.json");   // a lost result is made again
  r = RunCli({"batch", manifest, "--out-dir", out_, "--resume"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("4 ok (1 kept from an earlier run), 5 failed"), std::string::npos) << r.err;
  summary = Summary(out_ + "/summary.csv");
  EXPECT_EQ(summary.at("dyes")[4], "unchanged inputs: kept from an earlier run");
  EXPECT_EQ(summary.at("sleep").size(), 4u);  // no message: it ran
  EXPECT_TRUE(std::filesystem::exists(out_ + "/pen.json"));
  const json inputs = json::parse(ReadFile(out_ + "/sleep.json"))["inputs"];
  EXPECT_EQ(inputs["data_size"].get<int64_t>(),
            static_cast<int64_t>(std::filesystem::file_size(sleep_)));

  // A changed option is a changed job.
  std::string edited = kManifest;
  edited.replace(edited.find("\"level\": 90"), 11, "\"level\": 80");
  dir_.Write("m.json", edited);
  r = RunCli({"batch", manifest, "--out-dir", out_, "--resume"});
  EXPECT_NE(r.err.find("4 ok (3 kept from an earlier run)"), std::string::npos) << r.err;
}

TEST_F(BatchCommand, BadManifestIsAUsageErrorWithItsPlace) {
  const std::string manifest =
      dir_.Write("m.json",
                 "[\n  {\"id\": \"a\", \"data\": \"d.csv\", \"formula\": \"y ~ 1\"},\n"
                 "  {\"id\": \"a\", \"data\": \"d.csv\", \"formula\": \"y ~ 1\"}\n]\n");
  CliResult r = RunCli({"batch", manifest, "--out-dir", out_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(manifest + ":3:3: id 'a' is used by an earlier job"), std::string::npos)
      << r.err;
  const std::string csv = dir_.Write("m.csv", "id,data,formula,methd\n");
  r = RunCli({"batch", csv, "--out-dir", out_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(csv + ":1:17: unknown column 'methd'"), std::string::npos) << r.err;
  r = RunCli({"batch", dir_.path() + "/none.json", "--out-dir", out_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot open the manifest"), std::string::npos) << r.err;
}

TEST_F(BatchCommand, SecondBatchOnTheSameDirectoryIsRefused) {
  const std::string manifest = dir_.Write("m.json", kManifest);
  std::filesystem::create_directories(out_);
  const int fd = ::open((out_ + "/.lmmgpu-batch.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  const CliResult r = RunCli({"batch", manifest, "--out-dir", out_});
  ::close(fd);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("another batch is writing to this directory"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out_ + "/sleep.json"));
}

// The response is constant within each Subject, so (1 | Subject) leaves no residual variation:
// the fit cannot converge to an interior optimum. Whether the engine reports that as a fit that did
// not converge or throws a numerical error, the job fails with exit code 3 and the batch goes on.
TEST_F(BatchCommand, FitThatDoesNotConvergeIsAFailedJob) {
  const std::string manifest =
      dir_.Write("m.csv",
                 "id,data,formula\n"
                 "degenerate,sleepstudy.csv,Subject ~ Days + (1 | Subject)\n"
                 "sleep,sleepstudy.csv,Reaction ~ Days + (Days | Subject)\n");
  const CliResult r = RunCli({"batch", manifest, "--out-dir", out_});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  const json error = json::parse(ReadFile(out_ + "/degenerate.error.json"));
  EXPECT_EQ(error["exit_code"], 3);
  EXPECT_TRUE(error["status"] == "not-converged" || error["status"] == "failed") << error;
  EXPECT_FALSE(std::filesystem::exists(out_ + "/degenerate.json"));
  EXPECT_TRUE(std::filesystem::exists(out_ + "/sleep.json"));
  EXPECT_EQ(Summary(out_ + "/summary.csv").at("degenerate")[0], error["status"]);
}

}  // namespace
}  // namespace lmm
