// The header row: column names, their checks, and the parse plan built from them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/csv_chunk.h"
#include "lmm/data_frame.h"

namespace lmm::io {

struct Header {
  std::vector<std::string> names;
  std::vector<size_t> starts;  // byte offset of each name's field
  size_t body_begin = 0;       // first byte after the header row
  int64_t body_line = 0;       // line number of body_begin
};

// Reads the header row at the start of `bytes` (blank lines before it are skipped). Throws
// "source:LINE:COL: ..." for an empty input, a malformed row, an empty or a duplicate name.
Header ParseHeader(std::string_view bytes, const std::string& source, char separator);

// Maps the header to kept-column slots (CsvOptions::keep, in header order). Throws for a keep
// name that is not in the header (listing the header) and for a kept name that is not UTF-8.
ParsePlan MakePlan(std::string_view bytes, const Header& header, const CsvOptions& options,
                   const std::string& source);

}  // namespace lmm::io
