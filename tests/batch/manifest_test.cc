// Manifest parsing: both formats give the same jobs; every malformed manifest is refused with the
// place (FILE:LINE[:COLUMN]) of the problem.
#include "batch/manifest.h"

#include <gtest/gtest.h>

#include <functional>

#include "lmm/error.h"

namespace lmm::batch {
namespace {

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(Manifest, JsonAndCsvGiveTheSameJobs) {
  const std::string json = R"json([
  {"id": "a", "data": "d.csv", "formula": "y ~ x + (1 | g)", "method": "ML", "level": 90},
  {"id": "b", "data": "/abs/e.csv", "formula": "y ~ 1 + (1 | g)", "ranef": true,
   "test": ["x = 0", "x = 1"]}
])json";
  const std::string csv =
      "id,data,formula,method,level,ranef,test\n"
      "a,d.csv,y ~ x + (1 | g),ML,90,,\n"
      "\n"
      "b,/abs/e.csv,\"y ~ 1 + (1 | g)\",,,true,x = 0;x = 1\n";
  const std::vector<BatchJob> from_json = ParseJsonManifest(json, "m.json", "base");
  const std::vector<BatchJob> from_csv = ParseCsvManifest(csv, "m.csv", "base");
  ASSERT_EQ(from_json.size(), 2u);
  ASSERT_EQ(from_csv.size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(from_json[k].id, from_csv[k].id);
    EXPECT_EQ(from_json[k].data, from_csv[k].data);
    EXPECT_EQ(from_json[k].formula, from_csv[k].formula);
    EXPECT_EQ(from_json[k].options, from_csv[k].options);
  }
  EXPECT_EQ(from_json[0].data, "base/d.csv");  // relative to the manifest's directory
  EXPECT_EQ(from_json[1].data, "/abs/e.csv");
  EXPECT_EQ(from_json[1].options.at("test"), "x = 0;x = 1");
  EXPECT_EQ(from_json[0].where, "m.json:2:3");
  EXPECT_EQ(from_json[1].where, "m.json:3:3");
  EXPECT_EQ(from_csv[0].where, "m.csv:2");
  EXPECT_EQ(from_csv[1].where, "m.csv:4");  // blank line 3 skipped
}

TEST(Manifest, ObjectWithJobsArray) {
  const std::string json =
      "{\"note\": [1, 2],\n \"jobs\": [\n  {\"id\": \"a\", \"data\": \"d\", "
      "\"formula\": \"y ~ 1\"}]}";
  const std::vector<BatchJob> jobs = ParseJsonManifest(json, "m.json", "");
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].where, "m.json:3:3");
}

TEST(Manifest, CsvQuotedFieldsKeepCommasQuotesAndLineEnds) {
  const std::string csv =
      "id,data,formula,test\r\n"
      "a,d.csv,\"y ~ x\",\"a = 0, b = 0\"\r\n"
      "b,\"we \"\"quote\"\"\",\"y ~\nx\",\r\n"
      "c,d.csv,y ~ 1,\r\n";
  const std::vector<BatchJob> jobs = ParseCsvManifest(csv, "m.csv", "");
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[0].options.at("test"), "a = 0, b = 0");
  EXPECT_EQ(jobs[1].data, "we \"quote\"");
  EXPECT_EQ(jobs[1].formula, "y ~\nx");
  EXPECT_EQ(jobs[1].options.count("test"), 0u);  // empty cell: default
  EXPECT_EQ(jobs[2].where, "m.csv:5");           // line count includes the quoted line end
}

TEST(Manifest, MalformedJsonNamesLineAndColumn) {
  const std::string bad = "[\n  {\"id\": \"a\",, \"data\": \"d\"}\n]";
  EXPECT_NE(ErrorOf([&] { ParseJsonManifest(bad, "m.json", ""); }).find("m.json:2:14"),
            std::string::npos);
  const std::string unknown =
      "[\n {\"id\": \"a\", \"data\": \"d\", \"formula\": \"y ~ 1\"},\n "
      "{\"id\": \"b\", \"dat\": \"d\"}]";
  const std::string message = ErrorOf([&] { ParseJsonManifest(unknown, "m.json", ""); });
  EXPECT_NE(message.find("m.json:3:2"), std::string::npos) << message;
  EXPECT_NE(message.find("unknown key \"dat\""), std::string::npos) << message;
  EXPECT_NE(ErrorOf([&] { ParseJsonManifest("[{\"id\": 3}]", "m.json", ""); }).find("m.json:1:2"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { ParseJsonManifest("{\"job\": []}", "m.json", ""); }).find("m.json:1:1"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { ParseJsonManifest("[1]", "m.json", ""); }).find("not an object"),
            std::string::npos);
}

TEST(Manifest, MalformedCsvNamesLineAndColumn) {
  EXPECT_NE(ErrorOf([&] {
              ParseCsvManifest("id,data,formul\n", "m.csv", "");
            }).find("m.csv:1:9: unknown column 'formul'"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              ParseCsvManifest("id,data\n", "m.csv", "");
            }).find("m.csv:1: the header has no 'formula' column"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              ParseCsvManifest("id,data,formula\na,b\n", "m.csv", "");
            }).find("m.csv:2: expected 3 fields"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              ParseCsvManifest("id,data,formula\na,\"b,c\n", "m.csv", "");
            }).find("m.csv:2:3: quoted field is not closed"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              ParseCsvManifest("id,data,formula\na,b\"c,d\n", "m.csv", "");
            }).find("m.csv:2:4: a quote inside"),
            std::string::npos);
}

TEST(Manifest, IdsAreCheckedForFileNamesAndUniqueness) {
  auto job = [](const std::string& id, int line) {
    BatchJob j;
    j.id = id;
    j.data = "d";
    j.formula = "y ~ 1";
    j.where = "m.csv:" + std::to_string(line);
    return j;
  };
  EXPECT_NO_THROW(ValidateJobs({job("a-1.B_2", 2)}, "m.csv"));
  EXPECT_NE(ErrorOf([&] {
              ValidateJobs({job("a", 2), job("a", 3)}, "m.csv");
            }).find("m.csv:3: id 'a' is used by an earlier job"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { ValidateJobs({job("../x", 2)}, "m.csv"); }).find("m.csv:2"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { ValidateJobs({job("a/b", 2)}, "m.csv"); }).find("letters"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { ValidateJobs({job(".hidden", 2)}, "m.csv"); }).find("'.'"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { ValidateJobs({job("x.error", 2)}, "m.csv"); }).find(".error"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { ValidateJobs({job("", 2)}, "m.csv"); }).find("no \"id\""),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { ValidateJobs({}, "m.csv"); }).find("no jobs"), std::string::npos);
  BatchJob no_formula = job("a", 4);
  no_formula.formula.clear();
  EXPECT_NE(ErrorOf([&] { ValidateJobs({no_formula}, "m.csv"); }).find("m.csv:4: job 'a' has no"),
            std::string::npos);
}

}  // namespace
}  // namespace lmm::batch
