// Column typing: numbers, categories, missing-value tokens, kept columns.
#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "io/csv_cell.h"
#include "io/csv_parse.h"
#include "io/csv_test_util.h"

namespace lmm::testing {
namespace {

TEST(CsvTypes, NumericWhenEveryCellIsANumber) {
  const DataFrame f = Parse("x,y\n1,a\n-2.5e3,b\n+0.25,a\n.5,c\n1.,b\n");
  const Column& x = Col(f, "x");
  ASSERT_EQ(x.type, ColumnType::kNumeric);
  EXPECT_EQ(x.numbers, (std::vector<double>{1, -2500, 0.25, 0.5, 1}));
  EXPECT_EQ(x.numeric_cells, 5);
  EXPECT_FALSE(x.first_non_number.has_value());
  EXPECT_TRUE(x.codes.empty());
}

TEST(CsvTypes, CategoricalLevelsInByteOrder) {
  const DataFrame f = Parse("g\nb\nB\na\n\xC3\xA9\nb\n10\n9\n");
  const Column& g = Col(f, "g");
  ASSERT_EQ(g.type, ColumnType::kCategorical);
  // memcmp order: digits < upper case < lower case < UTF-8 lead bytes; "10" < "9".
  EXPECT_EQ(g.levels, (std::vector<std::string>{"10", "9", "B", "a", "b", "\xC3\xA9"}));
  EXPECT_EQ(g.codes, (std::vector<int32_t>{4, 2, 3, 5, 4, 0, 1}));
  EXPECT_EQ(g.numeric_cells, 2);
  ASSERT_TRUE(g.first_non_number.has_value());
  EXPECT_EQ(g.first_non_number->line, 2);
  EXPECT_EQ(g.first_non_number->column, 1);
  EXPECT_EQ(g.first_non_number->text, "b");
  EXPECT_TRUE(g.numbers.empty());
}

TEST(CsvTypes, FirstNonNumberPointsAtTheFirstTextCell) {
  const DataFrame f = Parse("id,x\n1,1\n2,2.5\n3,\"12abc\"\n4,7\n5,zz\n");
  const Column& x = Col(f, "x");
  ASSERT_EQ(x.type, ColumnType::kCategorical);
  EXPECT_EQ(x.numeric_cells, 3);
  ASSERT_TRUE(x.first_non_number.has_value());
  EXPECT_EQ(x.first_non_number->line, 4);
  EXPECT_EQ(x.first_non_number->column, 3);  // the opening quote
  EXPECT_EQ(x.first_non_number->text, "12abc");
  // Earlier numeric cells keep their text as levels.
  EXPECT_EQ(x.levels, (std::vector<std::string>{"1", "12abc", "2.5", "7", "zz"}));
  EXPECT_EQ(x.codes, (std::vector<int32_t>{0, 2, 1, 3, 4}));
}

TEST(CsvTypes, FirstNonNumberTextIsCutAt64Bytes) {
  const std::string long_text(100, 'q');
  const DataFrame f = Parse("x\n1\n" + long_text + "\n");
  EXPECT_EQ(Col(f, "x").first_non_number->text, std::string(64, 'q'));
  EXPECT_EQ(Col(f, "x").levels[1], long_text);
}

TEST(CsvTypes, WordsHexAndPartialNumbersAreText) {
  for (const char* cell : {"12abc", "0x1A", "nan", "NAN", "1e", "1e5x", "--1", "+-1", "1 2", "TRUE",
                           "1_000", "e5", "\"\"\"1\"\"\""}) {
    SCOPED_TRACE(cell);
    const DataFrame f = Parse(std::string("x\n1\n") + cell + "\n");
    EXPECT_EQ(Col(f, "x").type, ColumnType::kCategorical);
  }
}

TEST(CsvTypes, SurroundingSpacesAreIgnoredForNumbersButKeptInLevels) {
  DataFrame f = Parse("x,g\n 1 ,a\n\t2,\" a\"\n\" 3\", a \n");
  EXPECT_EQ(Col(f, "x").numbers, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(Col(f, "g").levels, (std::vector<std::string>{" a", " a ", "a"}));
  f = Parse("x\n1\n  \n NA \n");  // blank and padded tokens are missing
  EXPECT_EQ(Col(f, "x").missing, (std::vector<uint8_t>{0, 1, 1}));
}

TEST(CsvTypes, QuotedNumbersAreNumbers) {
  const DataFrame f = Parse("\"a\",\"b\"\n\"0\",\"1.5\"\n\"-3\",\"2e2\"\n");
  EXPECT_EQ(Col(f, "a").type, ColumnType::kNumeric);
  EXPECT_EQ(Col(f, "a").numbers, (std::vector<double>{0, -3}));
  EXPECT_EQ(Col(f, "b").numbers, (std::vector<double>{1.5, 200}));
}

TEST(CsvTypes, DefaultMissingValueTokens) {
  const DataFrame f = Parse("x,g\n1,a\nNA,NA\n,\nNaN,NaN\n.,.\n\"NA\",b\n5,\"\"\n");
  const Column& x = Col(f, "x");
  ASSERT_EQ(x.type, ColumnType::kNumeric);
  EXPECT_EQ(x.missing, (std::vector<uint8_t>{0, 1, 1, 1, 1, 1, 0}));
  EXPECT_EQ(x.numeric_cells, 2);
  for (size_t i = 1; i <= 5; ++i) EXPECT_TRUE(std::isnan(x.numbers[i]));
  const Column& g = Col(f, "g");
  ASSERT_EQ(g.type, ColumnType::kCategorical);
  EXPECT_EQ(g.levels, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(g.codes, (std::vector<int32_t>{0, -1, -1, -1, -1, 1, -1}));
  EXPECT_EQ(g.missing, (std::vector<uint8_t>{0, 1, 1, 1, 1, 0, 1}));
}

TEST(CsvTypes, CustomMissingValueTokens) {
  CsvOptions o = Options();
  o.na_tokens = {"-999", "missing"};
  const DataFrame f = Parse("x,g\n1,a\n-999,missing\nNA,\n", o);
  // "NA" and "" are ordinary text now: x is categorical, g has an empty level.
  const Column& x = Col(f, "x");
  ASSERT_EQ(x.type, ColumnType::kCategorical);
  EXPECT_EQ(x.levels, (std::vector<std::string>{"1", "NA"}));
  EXPECT_EQ(x.codes, (std::vector<int32_t>{0, -1, 1}));
  EXPECT_EQ(Col(f, "g").levels, (std::vector<std::string>{"", "a"}));
  EXPECT_EQ(Col(f, "g").missing, (std::vector<uint8_t>{0, 1, 0}));
  o.na_tokens = {};
  const DataFrame g = Parse("x\n1\n\"\"\n2\n", o);
  EXPECT_EQ(Col(g, "x").type, ColumnType::kCategorical);
  EXPECT_EQ(Col(g, "x").levels, (std::vector<std::string>{"", "1", "2"}));
}

TEST(CsvTypes, KeepStoresOnlyTheNamedColumnsInHeaderOrder) {
  CsvOptions o = Options();
  o.keep = std::vector<std::string>{"c", "a"};
  // Column b is not kept: its text and its stray spaces are not typed, but rows are still checked.
  const DataFrame f = Parse("a,b,c\n1,x\xFF,3\n4,5,6\n", o);
  ASSERT_EQ(f.columns.size(), 2u);
  EXPECT_EQ(f.columns[0].name, "a");
  EXPECT_EQ(f.columns[1].name, "c");
  EXPECT_EQ(f.Find("b"), nullptr);
  EXPECT_EQ(Col(f, "c").numbers, (std::vector<double>{3, 6}));
  EXPECT_EQ(f.rows, 2);
  EXPECT_NE(ErrorOf("a,b,c\n1,2,3\n4,5\n", o).find("t.csv:3:4: expected 3 fields"),
            std::string::npos);
  o.keep = std::vector<std::string>{};
  EXPECT_EQ(Parse("a,b\n1,2\n", o).columns.size(), 0u);
  EXPECT_EQ(Parse("a,b\n1,2\n", o).rows, 1);
}

// NIST StRD SmLs09: 15-16 significant digits near 1e12 must come out exactly as from_chars
// (correctly rounded) gives them, so that the certified ANOVA values can be reproduced.
TEST(CsvTypes, NistSmLs09ValuesRoundTripExactly) {
  const std::string path = std::string(LMM_SHARED_DIR) + "/data/nist/anova/SmLs09.dat";
  std::ifstream in(path);
  if (!in) GTEST_SKIP() << "no " << path;
  std::string line, csv = "treatment,response\n";
  std::vector<std::string> texts;
  bool data = false;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string t, r;
    if (!data) {
      data = line.rfind("Data:  Treatment", 0) == 0;
      continue;
    }
    if (!(fields >> t >> r)) continue;
    csv += t + ",\"" + r + "\"\n";
    texts.push_back(r);
  }
  ASSERT_EQ(texts.size(), 18009u);  // NIST: 9 treatments x 2001 observations
  const DataFrame f = Parse(csv, Options(2));
  const Column& y = Col(f, "response");
  ASSERT_EQ(y.type, ColumnType::kNumeric);
  ASSERT_EQ(y.numbers.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    double expected = 0;
    std::from_chars(texts[i].data(), texts[i].data() + texts[i].size(), expected);
    ASSERT_EQ(y.numbers[i], expected) << texts[i];
  }
  EXPECT_EQ(y.numbers[0], 1000000000000.4);
  EXPECT_NE(y.numbers[0], 1000000000000.3);
}

TEST(CsvCell, ClassifyNumber) {
  double v = 0;
  EXPECT_EQ(io::ClassifyNumber("0.1", &v), io::CellClass::kNumber);
  EXPECT_EQ(v, 0.1);
  EXPECT_EQ(io::ClassifyNumber("-0", &v), io::CellClass::kNumber);
  EXPECT_TRUE(std::signbit(v));
  EXPECT_EQ(io::ClassifyNumber("1.7976931348623157e308", &v), io::CellClass::kNumber);
  EXPECT_EQ(io::ClassifyNumber("1e-999", &v), io::CellClass::kNumber);  // underflow: 0
  EXPECT_EQ(v, 0.0);
  EXPECT_EQ(io::ClassifyNumber("-0.0001e-400", &v), io::CellClass::kNumber);
  EXPECT_EQ(v, 0.0);
  EXPECT_TRUE(std::signbit(v));
  EXPECT_EQ(io::ClassifyNumber("4.9e-324", &v), io::CellClass::kNumber);
  EXPECT_GT(v, 0.0);
  for (const char* inf : {"Inf", "-inf", "+INF", "infinity", "-Infinity", "1e999", "-1e999",
                          "1.8e308", "123456789e301", "0.000001e320"})
    EXPECT_EQ(io::ClassifyNumber(inf, &v), io::CellClass::kInfinite) << inf;
  for (const char* text : {"", "nan", "-nan", "NaN(1)", "0x10", "infinite", "inf1", "1e+", "+", "-",
                           "+-2", "++2", " 1", "1 "})
    EXPECT_EQ(io::ClassifyNumber(text, &v), io::CellClass::kText) << text;
}

// Every plain decimal (sign, digits, point, exponent) is a number equal bit for bit to
// std::from_chars' correctly rounded value, whatever its number of digits.
TEST(CsvCell, NumbersMatchFromCharsExactly) {
  std::mt19937_64 rng(12345);
  for (int trial = 0; trial < 200000; ++trial) {
    std::string text;
    if (rng() % 3 == 0) text += '-';
    const int digits = 1 + static_cast<int>(rng() % 19);
    const int point = static_cast<int>(rng() % (digits + 2)) - 1;  // -1: no point
    for (int d = 0; d < digits; ++d) {
      if (d == point) text += '.';
      text += static_cast<char>('0' + (d == 0 && rng() % 2 ? 0 : rng() % 10));
    }
    if (rng() % 3 == 0) text += "e" + std::to_string(static_cast<int>(rng() % 61) - 30);
    double expected = 0, got = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), expected);
    ASSERT_EQ(ec, std::errc()) << text;
    ASSERT_EQ(ptr, text.data() + text.size()) << text;
    ASSERT_EQ(io::ClassifyNumber(text, &got), io::CellClass::kNumber) << text;
    ASSERT_EQ(std::bit_cast<uint64_t>(got), std::bit_cast<uint64_t>(expected)) << text;
  }
}

TEST(CsvCell, FindInvalidUtf8) {
  constexpr size_t kValid = std::string_view::npos;
  EXPECT_EQ(io::FindInvalidUtf8("plain ascii"), kValid);
  EXPECT_EQ(io::FindInvalidUtf8("\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), kValid);
  EXPECT_EQ(io::FindInvalidUtf8("ab\xFF"), 2u);
  EXPECT_EQ(io::FindInvalidUtf8(std::string_view("a\0b", 3)), 1u);
  EXPECT_EQ(io::FindInvalidUtf8("x\xC0\xAF"), 1u);         // overlong '/'
  EXPECT_EQ(io::FindInvalidUtf8("\xED\xA0\x80"), 0u);      // surrogate U+D800
  EXPECT_EQ(io::FindInvalidUtf8("\xF4\x90\x80\x80"), 0u);  // past U+10FFFF
  EXPECT_EQ(io::FindInvalidUtf8("ok\xE2\x82"), 2u);        // truncated
  EXPECT_EQ(io::FindInvalidUtf8("\x80"), 0u);              // lone continuation
}

}  // namespace
}  // namespace lmm::testing

namespace lmm {
namespace {

// Decimal remainders: what a double loses of a long decimal near 1e12 is kept beside it, so that
// numbers[i] + remainders[i] equals the written value to ~1e-16 of its fraction.
TEST(CsvRemainders, KeepTheDigitsDoublesLoseNear1e12) {
  const DataFrame f = ParseCsv("y,x\n1000000000000.4,1.5\n1000000000000.3,2\n-1000000000000.7,3\n",
                               "r.csv", CsvOptions{});
  const Column& y = *f.Find("y");
  ASSERT_EQ(y.remainders.size(), 3u);
  EXPECT_NEAR((y.numbers[0] - 1e12) + y.remainders[0], 0.4, 1e-15);
  EXPECT_NEAR((y.numbers[1] - 1e12) + y.remainders[1], 0.3, 1e-15);
  EXPECT_NEAR((y.numbers[2] + 1e12) + y.remainders[2], -0.7, 1e-15);
  EXPECT_TRUE(f.Find("x")->remainders.empty());  // small values lose nothing worth keeping
}

TEST(CsvRemainders, SameWithManyChunks) {
  std::string csv = "y\n";
  for (int i = 0; i < 2000; ++i) csv += (i < 1500 ? "7\n" : "1000000000000.1\n");
  CsvOptions options;
  options.threads = 4;
  // Small chunks: the first chunks have no remainders, the last ones do.
  const DataFrame f = io::ParseCsvChunked(csv, "r.csv", options, 64);
  const Column& y = *f.Find("y");
  ASSERT_EQ(y.remainders.size(), 2000u);
  EXPECT_EQ(y.remainders[0], 0.0);
  EXPECT_EQ(y.numbers[0], 7.0);
  EXPECT_NEAR((y.numbers[1999] - 1e12) + y.remainders[1999], 0.1, 1e-15);
}

}  // namespace
}  // namespace lmm
