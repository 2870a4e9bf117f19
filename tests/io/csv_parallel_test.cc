// Chunked parallel parsing gives the same frame, or the same error, for every thread count.
#include <gtest/gtest.h>

#include <random>

#include "io/csv_chunk.h"
#include "io/csv_header.h"
#include "io/csv_split.h"
#include "io/csv_test_util.h"

namespace lmm::testing {
namespace {

// A file that exercises chunk boundaries: quoted fields with separators, doubled quotes and
// newlines (some lines start with text that looks like a row), blank lines, CR LF and LF, missing
// cells, a column that turns categorical only late, and one that is text early.
std::string TrickyCsv(int rows, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s = "id,\"note\",x,late,g\r\n";
  for (int i = 0; i < rows; ++i) {
    s += std::to_string(i) + ",";
    switch (rng() % 5) {
      case 0:
        s += "\"a,b\nc,d,e,f\n\"";
        break;  // a quoted newline followed by a fake row
      case 1:
        s += "\"say \"\"hi\"\"\r\n\"\"x\"\"\"";
        break;
      case 2:
        s += "plain";
        break;
      case 3:
        s += "";
        break;
      default:
        s += "\"\"\"\"\"\"";  // two doubled quotes
    }
    s += "," + std::to_string(static_cast<double>(rng() % 100000) / 7.0) + ",";
    s += (i == rows - 3) ? "text" : std::to_string(i % 10);
    s += ",g" + std::to_string(rng() % 13);
    s += (rng() % 2) ? "\n" : "\r\n";
    if (rng() % 17 == 0) s += "\n";
  }
  return s;
}

TEST(CsvParallel, SameFrameForEveryThreadCount) {
  const std::string text = TrickyCsv(3000, 42);
  const DataFrame one = Parse(text, Options(1));
  ASSERT_EQ(one.rows, 3000);
  EXPECT_EQ(Col(one, "late").type, ColumnType::kCategorical);
  EXPECT_EQ(Col(one, "late").first_non_number->line, one.row_line[2997]);
  EXPECT_EQ(Col(one, "x").type, ColumnType::kNumeric);
  EXPECT_EQ(Col(one, "g").levels.size(), 13u);
  for (int threads : {2, 3, 4, 7, 16, 64}) {
    SCOPED_TRACE(threads);
    ExpectSameFrame(one, Parse(text, Options(threads)));
  }
  // The public entry point (default chunk size) agrees too.
  ExpectSameFrame(one, ParseCsv(text, "t.csv", Options(2)));
}

TEST(CsvParallel, SameErrorForEveryThreadCount) {
  std::string text = TrickyCsv(2000, 7);
  const std::string bad_row = "5,\"unclosed,1,2,g\n";
  const std::string errors[] = {
      text + "1,2,3\n",  // field count near the end
      text.substr(0, text.size() / 2) + "1,a\"b,3,4,g\n" + text.substr(text.size() / 2),
      text.substr(0, text.size() / 3) + bad_row + text.substr(text.size() / 3),
      text + "9,x,inf,1,g\n",
  };
  for (const std::string& bad : errors) {
    const std::string expected = ErrorOf(bad, Options(1));
    ASSERT_FALSE(expected.empty());
    for (int threads : {2, 3, 5, 8, 33}) EXPECT_EQ(ErrorOf(bad, Options(threads)), expected);
  }
}

// In well-formed input every quote-parity boundary is a true row start: each chunk's parse ends
// exactly where the next begins, so no sequential re-parse happens.
TEST(CsvParallel, WellFormedChunksMeetAtTheSplitBoundaries) {
  const std::string text = TrickyCsv(3000, 42);
  const io::Header header = io::ParseHeader(text, "t.csv", ',');
  const io::ParsePlan plan = io::MakePlan(text, header, Options(), "t.csv");
  for (int parts : {2, 3, 8, 16, 100}) {
    const std::vector<size_t> b = io::SplitRows(text, header.body_begin, parts, 1);
    EXPECT_GE(b.size(), std::min<size_t>(parts, 8) + 1u);
    int64_t rows = 0;
    for (size_t k = 0; k + 1 < b.size(); ++k) {
      const io::ChunkResult chunk = io::ParseChunk(plan, b[k], b[k + 1]);
      EXPECT_FALSE(chunk.issue.has_value());
      EXPECT_EQ(chunk.end, b[k + 1]) << parts << " " << k;
      rows += chunk.rows;
    }
    EXPECT_EQ(rows, 3000);
  }
}

TEST(CsvParallel, SplitFindsRowStartsOutsideQuotes) {
  const std::string text = "h\n\"a\nb\"\n\"c\n\nd\"\nxyz\n\"\"\"\n\"\n";
  for (int parts = 2; parts < 12; ++parts) {
    const std::vector<size_t> b = io::SplitRows(text, 2, parts, 1);
    ASSERT_GE(b.size(), 2u);
    EXPECT_EQ(b.front(), 2u);
    EXPECT_EQ(b.back(), text.size());
    for (size_t k = 1; k + 1 < b.size(); ++k) {
      EXPECT_GT(b[k], b[k - 1]);
      // Row starts of this file: after each row-ending LF.
      EXPECT_TRUE(b[k] == 8 || b[k] == 15 || b[k] == 19) << parts << " " << b[k];
    }
  }
}

}  // namespace
}  // namespace lmm::testing
