// Parsing one byte range of the data rows into per-column vectors (one thread each).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/csv_cell.h"
#include "io/csv_location.h"
#include "io/string_interner.h"

namespace lmm::io {

// What every chunk needs to know about the file, decided from the header.
struct ParsePlan {
  std::string_view bytes;  // the input after the BOM
  char separator = ',';
  int64_t fields = 0;                  // fields per row (the header's)
  std::vector<int32_t> slot_of_field;  // kept-column slot of each field, -1 when not kept
  std::vector<std::string> kept_names;
  NaTokenSet na_tokens{{}};
};

// A cell that decides something about its column; offset is its first byte.
struct CellNote {
  size_t offset = std::string_view::npos;
  std::string text;  // unquoted, at most 64 bytes
  bool found() const { return offset != std::string_view::npos; }
};

// One kept column of one chunk. Numbers are recorded for every row; once a cell that is not a
// number appears (row text_from_row), cells are also interned, and CollectText fills the codes of
// the earlier rows if the column turns out categorical.
struct ChunkColumn {
  std::vector<double> numbers;  // NaN where missing or not a finite number
  std::vector<double> remainders;  // DecimalRemainder per row; empty while all are 0
  std::vector<uint8_t> missing;
  std::vector<int32_t> codes;  // local codes for rows [text_from_row, rows), -1 where missing
  int64_t text_from_row = -1;  // -1: no text cell seen
  StringInterner levels;
  int64_t numeric_cells = 0;
  CellNote first_not_finite;  // first cell that is not a finite number (text or infinite)
  CellNote first_infinite;
  bool has_text() const { return text_from_row >= 0; }
};

struct ChunkResult {
  size_t begin = 0;
  size_t end = 0;  // offset after the last row parsed
  int64_t rows = 0;
  int64_t newlines = 0;               // LF bytes in [begin, end)
  std::vector<int64_t> row_newlines;  // per row: LF bytes in [begin, row start)
  std::vector<ChunkColumn> columns;   // one per kept slot
  std::optional<Issue> issue;         // the first error; parsing stopped there
};

struct RowScan;
// The message for a row that failed to tokenize (scan.error != kNone).
std::string RowErrorMessage(const RowScan& scan, std::string_view bytes, char separator);

// Parses the rows that start in [begin, limit); `begin` must be a row start. The last row may run
// past `limit` (then `end` > limit). The per-row vectors get capacity for the rows of
// max(limit - begin, reserve_bytes) bytes (estimated from the first rows), so that the first
// chunk's vectors can take the later chunks' rows without moving (MergeChunks).
ChunkResult ParseChunk(const ParsePlan& plan, size_t begin, size_t limit, size_t reserve_bytes = 0);

// For the slots flagged in `categorical`, interns the cells of rows [0, text_from_row) (all rows
// when no text was seen) by scanning the chunk again, so that `codes` covers every row.
void CollectText(const ParsePlan& plan, const std::vector<bool>& categorical, ChunkResult& chunk);

}  // namespace lmm::io
