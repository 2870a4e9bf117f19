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
  char separator = ',';
  std::vector<std::string> na_tokens = {"", "NA", "NaN", "."};
  int threads = 0;  // 0: all hardware threads
  // Columns to keep (by header name); others are checked for structure only and not stored.
  // Empty optional: keep every column. A name that is not in the header is an error.
  std::optional<std::vector<std::string>> keep;
};

// Reads an RFC 4180 file with a header row (UTF-8, optional BOM, LF or CRLF line ends).
// Throws lmm::Error(kData) with a one-line "FILE:LINE:COLUMN: what was expected" message.
DataFrame ReadCsv(const std::string& path, const CsvOptions& options);
// Same, from bytes already in memory; `source` names them in messages.
DataFrame ParseCsv(std::string_view bytes, const std::string& source, const CsvOptions& options);

}  // namespace lmm
