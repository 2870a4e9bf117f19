// In-memory columns read from a delimited text file: the input of model building.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmm {

enum class ColumnType { kNumeric, kCategorical };

// A cell's place in the source file, 1-based; `column` counts bytes from the start of the line.
struct CellRef {
  int64_t line = 0;
  int64_t column = 0;
  std::string text;  // the cell's text after unquoting (truncated to 64 bytes)
};

// One column. Numeric when every non-missing cell parsed entirely as a finite number, else
// categorical. Missing cells (a missing-value token) are NaN / -1 and flagged in `missing`.
struct Column {
  std::string name;
  ColumnType type = ColumnType::kNumeric;
  std::vector<double> numbers;      // kNumeric: one value per row, NaN where missing
  // kNumeric: what the doubles lost of the written decimals, per row (numbers[i] + remainders[i]
  // is the decimal to ~1e-16 of its fraction); empty when nothing was lost, as for all values
  // below 2^31. Used to keep digits of data like NIST's 1000000000000.4.
  std::vector<double> remainders;
  std::vector<int32_t> codes;       // kCategorical: index into `levels`, -1 where missing
  std::vector<std::string> levels;  // kCategorical: distinct values in byte order
  std::vector<uint8_t> missing;     // 1 where the cell is missing (both types)
  int64_t numeric_cells = 0;        // non-missing cells that parse as finite numbers
  // kCategorical: the first cell that is not a finite number (why the column is not numeric), so
  // that a numeric use of the column can point at it.
  std::optional<CellRef> first_non_number;
};

struct DataFrame {
  std::string source;  // file name, for messages
  int64_t rows = 0;    // data rows read (header excluded)
  std::vector<Column> columns;
  std::vector<int64_t> row_line;  // 1-based source line where each data row starts

  const Column* Find(std::string_view name) const {
    for (const Column& c : columns)
      if (c.name == name) return &c;
    return nullptr;
  }
};

struct CsvOptions {
  char separator = ',';  // any byte but '"', CR and LF (a UsageError otherwise)
  // Cells equal to one of these after trimming spaces and tabs at both ends are missing.
  std::vector<std::string> na_tokens = {"", "NA", "NaN", "."};
  int threads = 0;  // 0: all hardware threads
  // Columns to keep (by header name); others are checked for structure only and not stored.
  // Empty optional: keep every column. A name that is not in the header is an error. Kept columns
  // appear in header order.
  std::optional<std::vector<std::string>> keep;
};

// Reads an RFC 4180 file with a header row (UTF-8, optional BOM, LF or CRLF line ends, a final line
// end optional). Quoted fields may hold separators, doubled quotes and line ends; a quote elsewhere
// is an error. Empty lines are skipped (as R's read.csv does). Every row has the header's number
// of fields. A cell is unquoted first and then typed: a column is numeric when each non-missing
// cell, with surrounding spaces and tabs ignored, is entirely a finite decimal number (an optional
// sign, std::from_chars syntax: "1", "-2.5e3", ".5", "+1"; not hex, "nan" or "12abc"), and its
// values are std::from_chars' correctly rounded doubles. Otherwise it is categorical, its levels
// the exact cell texts. Infinite values ("Inf", "-infinity", "1e999") in an otherwise numeric kept
// column are an error. The result does not depend on options.threads.
// Throws lmm::Error(kData) with a one-line "FILE:LINE:COLUMN: what was expected" message; the
// first error in file order is reported ("FILE: cannot open: ..." when the file cannot be read).
DataFrame ReadCsv(const std::string& path, const CsvOptions& options);
// Same, from bytes already in memory; `source` names them in messages.
DataFrame ParseCsv(std::string_view bytes, const std::string& source, const CsvOptions& options);

}  // namespace lmm
