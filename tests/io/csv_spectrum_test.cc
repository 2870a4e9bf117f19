// The csv-spectrum conformance cases (github.com/max-mapper/csv-spectrum), read from files.
#include <gtest/gtest.h>

#include "io/csv_test_util.h"

namespace lmm::testing {
namespace {

DataFrame ReadSpectrum(const std::string& name) {
  return ReadCsv(TestData("spectrum/" + name), Options());
}

TEST(CsvSpectrum, CommaInQuotes) {
  const DataFrame f = ReadSpectrum("comma_in_quotes.csv");
  ASSERT_EQ(f.rows, 1);
  ASSERT_EQ(f.columns.size(), 5u);
  EXPECT_EQ(Level(Col(f, "city"), 0), "Anytown, WW");
  EXPECT_EQ(Level(Col(f, "address"), 0), "120 any st.");
  // R's read.csv also reads a zip code with a leading zero as the number 8123.
  EXPECT_EQ(Col(f, "zip").type, ColumnType::kNumeric);
  EXPECT_EQ(Col(f, "zip").numbers[0], 8123);
}

TEST(CsvSpectrum, EscapedQuotes) {
  const DataFrame f = ReadSpectrum("escaped_quotes.csv");
  ASSERT_EQ(f.rows, 2);
  const Column& b = Col(f, "b");
  ASSERT_EQ(b.type, ColumnType::kCategorical);
  EXPECT_EQ(Level(b, 0), "ha \"ha\" ha");
  EXPECT_EQ(Level(b, 1), "4");
  EXPECT_EQ(b.numeric_cells, 1);
  ASSERT_TRUE(b.first_non_number.has_value());
  EXPECT_EQ(b.first_non_number->line, 2);
  EXPECT_EQ(b.first_non_number->column, 3);
  EXPECT_EQ(b.first_non_number->text, "ha \"ha\" ha");
}

TEST(CsvSpectrum, JsonInQuotes) {
  const DataFrame f = ReadSpectrum("json.csv");
  ASSERT_EQ(f.rows, 1);
  EXPECT_EQ(Level(Col(f, "val"), 0), R"({"type": "Point", "coordinates": [102.0, 0.5]})");
  EXPECT_EQ(Col(f, "key").numbers[0], 1);
}

void ExpectNewlines(const DataFrame& f, const std::string& first) {
  ASSERT_EQ(f.rows, 3);
  EXPECT_EQ(Level(Col(f, "a"), 1), first);
  EXPECT_EQ(Level(Col(f, "a"), 2), "7");
  EXPECT_EQ(Col(f, "c").numbers, (std::vector<double>{3, 6, 9}));
  EXPECT_EQ(f.row_line, (std::vector<int64_t>{2, 3, 5}));
}

TEST(CsvSpectrum, Newlines) { ExpectNewlines(ReadSpectrum("newlines.csv"), "Once upon \na time"); }

TEST(CsvSpectrum, NewlinesCrlf) {
  // A CR LF inside quotes is data (RFC 4180 keeps quoted text as is).
  ExpectNewlines(ReadSpectrum("newlines_crlf.csv"), "Once upon \r\na time");
}

TEST(CsvSpectrum, QuotesAndNewlines) {
  const DataFrame f = ReadSpectrum("quotes_and_newlines.csv");
  ASSERT_EQ(f.rows, 2);
  EXPECT_EQ(Level(Col(f, "b"), 0), "ha \n\"ha\" \nha");
  EXPECT_EQ(Col(f, "a").numbers, (std::vector<double>{1, 3}));
  EXPECT_EQ(f.row_line, (std::vector<int64_t>{2, 5}));
}

void ExpectSimple(const DataFrame& f) {
  ASSERT_EQ(f.rows, 1);
  ASSERT_EQ(f.columns.size(), 3u);
  EXPECT_EQ(f.columns[0].name, "a");
  EXPECT_EQ(f.columns[2].name, "c");
  EXPECT_EQ(Col(f, "a").numbers[0], 1);
  EXPECT_EQ(Col(f, "c").numbers[0], 3);
  EXPECT_EQ(f.row_line, (std::vector<int64_t>{2}));
}

TEST(CsvSpectrum, Simple) { ExpectSimple(ReadSpectrum("simple.csv")); }
TEST(CsvSpectrum, SimpleCrlf) { ExpectSimple(ReadSpectrum("simple_crlf.csv")); }
TEST(CsvSpectrum, Bom) { ExpectSimple(ReadSpectrum("bom.csv")); }

void ExpectEmptyFields(const DataFrame& f) {
  ASSERT_EQ(f.rows, 2);
  const Column& b = Col(f, "b");
  EXPECT_EQ(b.type, ColumnType::kNumeric);  // "" is a missing-value token by default
  EXPECT_EQ(b.missing, (std::vector<uint8_t>{1, 0}));
  EXPECT_TRUE(std::isnan(b.numbers[0]));
  EXPECT_EQ(b.numbers[1], 3);
  EXPECT_EQ(Col(f, "c").missing, (std::vector<uint8_t>{1, 0}));
}

TEST(CsvSpectrum, EmptyFields) { ExpectEmptyFields(ReadSpectrum("empty.csv")); }
TEST(CsvSpectrum, EmptyFieldsCrlf) { ExpectEmptyFields(ReadSpectrum("empty_crlf.csv")); }

TEST(CsvSpectrum, Utf8) {
  const DataFrame f = ReadSpectrum("utf8.csv");
  ASSERT_EQ(f.rows, 2);
  const Column& c = Col(f, "c");
  ASSERT_EQ(c.type, ColumnType::kCategorical);
  EXPECT_EQ(c.levels, (std::vector<std::string>{"3", "\xCA\xA4"}));
  EXPECT_EQ(c.codes, (std::vector<int32_t>{0, 1}));
}

TEST(CsvSpectrum, NoTrailingNewline) {
  ExpectSimple(Parse("a,b,c\n1,2,3"));
  ExpectSimple(Parse("a,b,c\r\n1,2,3"));
  const DataFrame f = Parse("a,b\n1,\"x\"");
  EXPECT_EQ(Level(Col(f, "b"), 0), "x");
}

TEST(CsvSpectrum, BlankLinesAreSkippedAsInRead_csv) {
  const DataFrame f = Parse("\na,b\n\n1,2\r\n\r\n3,4\n\n\n");
  ASSERT_EQ(f.rows, 2);
  EXPECT_EQ(f.row_line, (std::vector<int64_t>{4, 6}));
  EXPECT_EQ(Col(f, "b").numbers, (std::vector<double>{2, 4}));
}

TEST(CsvSpectrum, OtherSeparators) {
  CsvOptions o = Options();
  o.separator = ';';
  DataFrame f = Parse("a;b\n1,5;\"x;y\"\n", o);
  EXPECT_EQ(Col(f, "a").type, ColumnType::kCategorical);  // a decimal comma is not a number
  EXPECT_EQ(Level(Col(f, "a"), 0), "1,5");
  EXPECT_EQ(Level(Col(f, "b"), 0), "x;y");
  o.separator = '\t';
  f = Parse("a\tb c\n1\t\"2\"\n", o);
  EXPECT_EQ(Col(f, "b c").numbers[0], 2);
  o.separator = '|';
  f = Parse("a|b\n1|2\n", o);
  EXPECT_EQ(Col(f, "b").numbers[0], 2);
}

TEST(CsvSpectrum, SingleColumn) {
  const DataFrame f = Parse("y\n1\n\"\"\n2\n");
  ASSERT_EQ(f.rows, 3);
  EXPECT_EQ(Col(f, "y").missing, (std::vector<uint8_t>{0, 1, 0}));
}

}  // namespace
}  // namespace lmm::testing
