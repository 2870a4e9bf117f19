// Every input error of the CSV reader, with its exact place ("FILE:LINE:COLUMN: ...") and wording.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "io/csv_test_util.h"

namespace lmm::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(CsvErrors, MissingFileSaysCannotOpen) {
  const std::string path = "/nonexistent-dir/no.csv";
  try {
    ReadCsv(path, Options());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kData);
    EXPECT_EQ(std::string(e.what()), path + ": cannot open: No such file or directory");
  }
}

TEST(CsvErrors, DirectoryIsNotAFile) {
  const std::string dir = TestData("spectrum");
  try {
    ReadCsv(dir, Options());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), dir + ": cannot read: Is a directory");
  }
}

TEST(CsvErrors, EmptyInput) {
  EXPECT_THAT(ErrorOf(""), StartsWith("t.csv:1:1: empty file: expected a header row"));
  EXPECT_THAT(ErrorOf("\xEF\xBB\xBF"), StartsWith("t.csv:1:1: empty file"));
  EXPECT_THAT(ErrorOf("\n\r\n"), StartsWith("t.csv:3:1: empty file"));
  // An empty file on disk, through ReadCsv.
  const std::string path = (std::filesystem::temp_directory_path() / "lmm_empty_test.csv").string();
  std::fclose(std::fopen(path.c_str(), "w"));
  try {
    ReadCsv(path, Options());
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), StartsWith(path + ":1:1: empty file"));
  }
  std::filesystem::remove(path);
}

TEST(CsvErrors, HeaderWithoutDataRows) {
  EXPECT_EQ(ErrorOf("a,b\n"),
            "t.csv:2:1: no data rows after the header: expected at least one row");
  EXPECT_THAT(ErrorOf("a,b\r\n\r\n\n"), StartsWith("t.csv:2:1: no data rows after the header"));
  EXPECT_THAT(ErrorOf("a,b"), StartsWith("t.csv:1:4: no data rows after the header"));
}

TEST(CsvErrors, WrongFieldCount) {
  // Too few: the place is the end of the row; too many: the first extra field.
  EXPECT_EQ(ErrorOf("a,b\n1,2\n3\n"), "t.csv:3:2: expected 2 fields (as in the header), found 1");
  EXPECT_EQ(ErrorOf("a,b\n1,2,3\n"), "t.csv:2:5: expected 2 fields (as in the header), found 3");
  EXPECT_EQ(ErrorOf("a,b\n1,2,\n"), "t.csv:2:5: expected 2 fields (as in the header), found 3");
  EXPECT_EQ(ErrorOf("a,b\r\n1,2\r\n3\r\n"),
            "t.csv:3:2: expected 2 fields (as in the header), found 1");
  // Lines are counted inside quoted fields.
  EXPECT_EQ(ErrorOf("a,b\n\"x\ny\",1\n3\n"),
            "t.csv:4:2: expected 2 fields (as in the header), found 1");
  EXPECT_EQ(ErrorOf("a,b\n1,2\n3,4 \n5\n"),
            "t.csv:4:2: expected 2 fields (as in the header), found 1");
}

TEST(CsvErrors, UnterminatedQuotePointsAtTheOpeningQuote) {
  EXPECT_EQ(ErrorOf("a,b\n1,2\n3,\"abc\n4,5\n"),
            "t.csv:3:3: unterminated quoted field: expected a closing quote for the quote opened "
            "here before the end of the file");
  EXPECT_THAT(ErrorOf("\"a,b\n1,2\n"), StartsWith("t.csv:1:1: unterminated quoted field"));
}

TEST(CsvErrors, StrayQuoteInUnquotedField) {
  EXPECT_EQ(ErrorOf("a,b\n1,ab\"c\n"),
            "t.csv:2:5: stray quote in an unquoted field: expected the whole field in quotes, "
            "with inner quotes doubled (\"\")");
  EXPECT_THAT(ErrorOf("a,b\n1, \"x\"\n"), StartsWith("t.csv:2:4: stray quote"));
  EXPECT_THAT(ErrorOf("a,b\"\n1,2\n"), StartsWith("t.csv:1:4: stray quote"));
}

TEST(CsvErrors, TextAfterClosingQuote) {
  EXPECT_EQ(ErrorOf("a,b\n1,\"ab\"c\n"),
            "t.csv:2:7: expected the separator \",\" or a line end after the closing quote, "
            "found \"c\"");
  CsvOptions o = Options();
  o.separator = '\t';
  EXPECT_THAT(ErrorOf("a\tb\n1\t\"x\" \n", o),
              StartsWith("t.csv:2:6: expected the separator \"\\x09\" or a line end"));
}

TEST(CsvErrors, BareCarriageReturn) {
  EXPECT_EQ(ErrorOf("a,b\r1,2\r"),
            "t.csv:1:4: carriage return without line feed: expected LF or CR LF line ends");
  EXPECT_THAT(ErrorOf("a,b\n1,\"x\"\r2\n"), StartsWith("t.csv:2:6: carriage return"));
}

TEST(CsvErrors, NulAndInvalidUtf8InKeptColumns) {
  using namespace std::string_literals;
  EXPECT_EQ(ErrorOf("a,b\n1,x\0y\n"s),
            "t.csv:2:4: NUL byte in column \"b\": expected text without NUL bytes");
  EXPECT_EQ(ErrorOf("a,b\n1,2\n3,\"x\ny\xFFz\"\n"),
            "t.csv:4:2: invalid UTF-8 (byte 0xFF) in column \"b\": expected UTF-8 text");
  EXPECT_THAT(ErrorOf("a,b\n1,\"\"\"\xC3\x28\"\n"),
              StartsWith("t.csv:2:6: invalid UTF-8 (byte 0xC3)"));
  // Not kept: not checked.
  CsvOptions o = Options();
  o.keep = std::vector<std::string>{"a"};
  EXPECT_EQ(Parse("a,b\n1,x\0\xFF\n"s, o).rows, 1);
  // A kept header name must be UTF-8 too.
  EXPECT_THAT(ErrorOf("a,b\xFF\n1,2\n"),
              StartsWith("t.csv:1:4: column name \"b\\xFF\" is not UTF-8 text (byte 0xFF)"));
}

TEST(CsvErrors, DuplicateColumnNamesNameBothPlaces) {
  EXPECT_EQ(ErrorOf("a,b,a\n1,2,3\n"),
            "t.csv:1:5: duplicate column name \"a\" in the header: fields 1 (line 1, column 1) "
            "and 3; expected distinct names");
  EXPECT_THAT(ErrorOf("\"x\",\"y\",\"y\"\n1,2,3\n"),
              StartsWith("t.csv:1:9: duplicate column name \"y\" in the header: fields 2 (line 1, "
                         "column 5) and 3"));
}

TEST(CsvErrors, EmptyColumnName) {
  EXPECT_THAT(ErrorOf("\"\",a\n1,2\n"),
              StartsWith("t.csv:1:1: empty column name (header field 1): expected a name for "
                         "every column (R's write.csv"));
  EXPECT_THAT(ErrorOf("a,,b\n1,2,3\n"),
              StartsWith("t.csv:1:3: empty column name (header field 2)"));
  EXPECT_THAT(ErrorOf("a,b,\n1,2,3\n"),
              StartsWith("t.csv:1:5: empty column name (header field 3)"));
}

TEST(CsvErrors, InfiniteValuesInNumericColumns) {
  EXPECT_EQ(ErrorOf("x,y\n1,2\n3,Inf\n"),
            "t.csv:3:3: infinite value \"Inf\" in numeric column \"y\": infinite values are not "
            "allowed (expected a finite number or a missing-value token)");
  for (const char* cell : {"-Inf", "infinity", "\"-INFINITY\"", "1e999", "-2e400"}) {
    SCOPED_TRACE(cell);
    EXPECT_THAT(ErrorOf(std::string("x\n1\nNA\n") + cell + "\n7\n"),
                StartsWith("t.csv:4:1: infinite value"));
  }
  // The first in file order, across columns.
  EXPECT_THAT(ErrorOf("x,y\n1,2\n3,inf\n-inf,4\n"),
              StartsWith("t.csv:3:3: infinite value \"inf\""));
  // In a column that is text anyway, "Inf" is just a level.
  const DataFrame f = Parse("g\nInf\nb\n");
  EXPECT_EQ(Col(f, "g").levels, (std::vector<std::string>{"Inf", "b"}));
  EXPECT_EQ(Col(f, "g").first_non_number->text, "Inf");
}

TEST(CsvErrors, KeepNameNotInHeaderListsTheHeader) {
  CsvOptions o = Options();
  o.keep = std::vector<std::string>{"a", "zz", "Y"};
  EXPECT_EQ(ErrorOf("a,b,y\n1,2,3\n", o),
            "t.csv:1:1: no column named \"zz\", \"Y\" in the header; the header has 3 columns: "
            "\"a\", \"b\", \"y\"");
}

TEST(CsvErrors, BadSeparatorIsAUsageError) {
  CsvOptions o = Options();
  o.separator = '"';
  try {
    Parse("a\n1\n", o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    EXPECT_THAT(e.what(), HasSubstr("invalid CSV separator"));
  }
}

TEST(CsvErrors, MessagesAreOneLine) {
  // Column names with line breaks are quoted and escaped in messages (found by fuzz/csv_fuzz.cc).
  for (const char* bad : {"\"a\nb\"\n\"x\xFF\"\n", "\"a\nb\"\n1\ninf\n", "a,b\n1,\"x\ny\"\"z\n",
                          "a\n\"x\n\ny", "a,b\n\"\n\n\n", "a\n1\n\"\xFF\n\"\n"}) {
    try {
      Parse(bad);
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace lmm::testing
