// The shared reference data sets read with the right sizes and types (skipped without them).
#include <gtest/gtest.h>

#include <filesystem>

#include "io/csv_test_util.h"

namespace lmm::testing {
namespace {

std::string Shared(const std::string& name) {
  return std::string(LMM_SHARED_DIR) + "/data/" + name;
}

#define REQUIRE_SHARED(path) \
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << (path)

struct Expected {
  const char* file;
  int64_t rows;
  std::vector<std::pair<const char*, ColumnType>> types;
};

// Row counts are `wc -l` minus the header; types follow R's read.csv (quoted numbers are numbers).
const Expected kSharedFiles[] = {
    {"sleepstudy.csv",
     180,
     {{"Reaction", ColumnType::kNumeric},
      {"Days", ColumnType::kNumeric},
      {"Subject", ColumnType::kNumeric}}},
    {"pastes.csv",
     60,
     {{"strength", ColumnType::kNumeric},
      {"batch", ColumnType::kCategorical},
      {"cask", ColumnType::kCategorical},
      {"sample", ColumnType::kCategorical}}},
    {"dyestuff.csv", 30, {{"Batch", ColumnType::kCategorical}, {"Yield", ColumnType::kNumeric}}},
    {"insteval.csv",
     73421,
     {{"s", ColumnType::kNumeric},
      {"d", ColumnType::kNumeric},
      {"studage", ColumnType::kNumeric},
      {"lectage", ColumnType::kNumeric},
      {"service", ColumnType::kNumeric},
      {"dept", ColumnType::kNumeric},
      {"y", ColumnType::kNumeric}}},
    {"machines.csv",
     54,
     {{"Worker", ColumnType::kNumeric},
      {"Machine", ColumnType::kCategorical},
      {"score", ColumnType::kNumeric}}},
    {"orthodont.csv",
     108,
     {{"distance", ColumnType::kNumeric},
      {"age", ColumnType::kNumeric},
      {"Subject", ColumnType::kCategorical},
      {"Sex", ColumnType::kCategorical}}},
    {"ovary.csv",
     308,
     {{"Mare", ColumnType::kNumeric},
      {"Time", ColumnType::kNumeric},
      {"follicles", ColumnType::kNumeric},
      {"time", ColumnType::kNumeric},
      {"sin1", ColumnType::kNumeric},
      {"cos1", ColumnType::kNumeric}}},
    {"penicillin.csv",
     144,
     {{"diameter", ColumnType::kNumeric},
      {"plate", ColumnType::kCategorical},
      {"sample", ColumnType::kCategorical}}},
    {"t43.csv",
     20,
     {{"person", ColumnType::kNumeric},
      {"drug", ColumnType::kNumeric},
      {"score", ColumnType::kNumeric}}},
    {"toy.csv",
     18,
     {{"subject", ColumnType::kNumeric},
      {"score", ColumnType::kNumeric},
      {"y", ColumnType::kNumeric}}},
};

TEST(CsvSharedData, EveryFileReadsWithItsRowsAndTypes) {
  for (const Expected& e : kSharedFiles) {
    SCOPED_TRACE(e.file);
    const std::string path = Shared(e.file);
    REQUIRE_SHARED(path);
    const DataFrame f = ReadCsv(path, Options(2));
    EXPECT_EQ(f.rows, e.rows);
    ASSERT_EQ(f.columns.size(), e.types.size());
    for (const auto& [name, type] : e.types) EXPECT_EQ(Col(f, name).type, type) << name;
    for (const Column& c : f.columns) EXPECT_EQ(c.missing.size(), static_cast<size_t>(f.rows));
  }
}

TEST(CsvSharedData, EveryCsvFileIsCovered) {
  const std::string dir = Shared("");
  REQUIRE_SHARED(dir);
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".csv") continue;
    bool listed = false;
    for (const Expected& e : kSharedFiles) listed |= entry.path().filename() == e.file;
    EXPECT_TRUE(listed) << entry.path() << " has no expectations";
    EXPECT_NO_THROW(ReadCsv(entry.path().string(), Options()));
  }
}

TEST(CsvSharedData, SleepstudyValues) {
  const std::string path = Shared("sleepstudy.csv");
  REQUIRE_SHARED(path);
  const DataFrame f = ReadCsv(path, Options());
  EXPECT_EQ(Col(f, "Reaction").numbers[0], 249.56);
  EXPECT_EQ(Col(f, "Reaction").numbers[1], 258.7047);
  EXPECT_EQ(Col(f, "Days").numbers[1], 1);
  EXPECT_EQ(Col(f, "Subject").numbers[0], 308);
  EXPECT_EQ(f.row_line.front(), 2);
  EXPECT_EQ(f.row_line.back(), 181);
}

TEST(CsvSharedData, PastesLevels) {
  const std::string path = Shared("pastes.csv");
  REQUIRE_SHARED(path);
  const DataFrame f = ReadCsv(path, Options());
  EXPECT_EQ(Col(f, "batch").levels,
            (std::vector<std::string>{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J"}));
  EXPECT_EQ(Col(f, "cask").levels, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(Col(f, "sample").levels.size(), 30u);
  EXPECT_EQ(Col(f, "strength").numbers[0], 62.8);
}

TEST(CsvSharedData, BomCrlfQuotedSleepstudyReadsAsThePlainFile) {
  const std::string plain = Shared("sleepstudy.csv");
  REQUIRE_SHARED(plain);
  const DataFrame a = ReadCsv(plain, Options());
  DataFrame b = ReadCsv(TestData("sleepstudy_bom_crlf_quoted.csv"), Options(2));
  ExpectSameFrame(a, b);
}

TEST(CsvSharedData, InstevalSameForAnyThreadCount) {
  const std::string path = Shared("insteval.csv");
  REQUIRE_SHARED(path);
  const DataFrame one = ReadCsv(path, Options(1));
  CsvOptions o = Options(4);
  const DataFrame four = ReadCsv(path, o);
  ExpectSameFrame(one, four);
  o.keep = std::vector<std::string>{"y", "s"};
  const DataFrame kept = ReadCsv(path, o);
  ASSERT_EQ(kept.columns.size(), 2u);
  EXPECT_EQ(Col(kept, "y").numbers, Col(one, "y").numbers);
}

}  // namespace
}  // namespace lmm::testing
