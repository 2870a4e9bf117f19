// Helpers shared by the CSV reader tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <string_view>

#include "io/csv_parse.h"
#include "lmm/data_frame.h"
#include "lmm/error.h"

namespace lmm::testing {

inline CsvOptions Options(int threads = 1) {
  CsvOptions o;
  o.threads = threads;
  return o;
}

// Parses with min chunk size 1 so that `threads` > 1 really splits small inputs.
inline DataFrame Parse(std::string_view text, const CsvOptions& options = Options()) {
  return io::ParseCsvChunked(text, "t.csv", options, 1);
}

// The message of the lmm::Error (kind kData) that parsing throws; "" (and a test failure) if none.
inline std::string ErrorOf(std::string_view text, const CsvOptions& options = Options()) {
  try {
    Parse(text, options);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kData);
    return e.what();
  }
  ADD_FAILURE() << "no error for input: " << text;
  return "";
}

inline const Column& Col(const DataFrame& f, std::string_view name) {
  const Column* c = f.Find(name);
  if (c == nullptr) throw std::runtime_error("no column " + std::string(name));
  return *c;
}

// The string of row `row` of a categorical column ("<NA>" when missing).
inline std::string Level(const Column& c, size_t row) {
  return c.codes.at(row) < 0 ? "<NA>" : c.levels.at(c.codes[row]);
}

// Two frames hold the same values (NaN equal to NaN), types, levels, notes and row lines.
inline void ExpectSameFrame(const DataFrame& a, const DataFrame& b) {
  ASSERT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.row_line, b.row_line);
  ASSERT_EQ(a.columns.size(), b.columns.size());
  for (size_t j = 0; j < a.columns.size(); ++j) {
    const Column& x = a.columns[j];
    const Column& y = b.columns[j];
    SCOPED_TRACE(x.name);
    EXPECT_EQ(x.name, y.name);
    ASSERT_EQ(x.type, y.type);
    EXPECT_EQ(x.missing, y.missing);
    EXPECT_EQ(x.levels, y.levels);
    EXPECT_EQ(x.codes, y.codes);
    EXPECT_EQ(x.numeric_cells, y.numeric_cells);
    ASSERT_EQ(x.first_non_number.has_value(), y.first_non_number.has_value());
    if (x.first_non_number) {
      EXPECT_EQ(x.first_non_number->line, y.first_non_number->line);
      EXPECT_EQ(x.first_non_number->column, y.first_non_number->column);
      EXPECT_EQ(x.first_non_number->text, y.first_non_number->text);
    }
    ASSERT_EQ(x.numbers.size(), y.numbers.size());
    for (size_t i = 0; i < x.numbers.size(); ++i) {
      if (std::isnan(x.numbers[i])) {
        EXPECT_TRUE(std::isnan(y.numbers[i])) << "row " << i;
      } else {
        EXPECT_EQ(x.numbers[i], y.numbers[i]) << "row " << i;
      }
    }
  }
}

inline std::string TestData(std::string_view relative) {
  return std::string(LMM_TEST_DATA_DIR) + "/csv/" + std::string(relative);
}

}  // namespace lmm::testing
