#include "io/csv_chunk.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "io/csv_row_scanner.h"

namespace lmm::io {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr size_t kNoteBytes = 64;

CellNote MakeNote(size_t offset, std::string_view text) {
  return CellNote{offset, std::string(TruncateUtf8(text, kNoteBytes))};
}

class ChunkParser {
 public:
  ChunkParser(const ParsePlan& plan, ChunkResult& out) : plan_(plan), out_(out) {}

  // Types one kept cell of row `row`; false (with out_.issue set) for a cell that is not text.
  bool AddCell(ChunkColumn& col, int32_t slot, const FieldView& f, int64_t row) {
    std::string_view text = FieldText(plan_.bytes, f, scratch_);
    std::string_view trimmed = TrimSpaces(text);
    if (plan_.na_tokens.Contains(trimmed)) {
      col.numbers.push_back(kNaN);
      if (!col.remainders.empty()) col.remainders.push_back(0.0);
      col.missing.push_back(1);
      if (col.has_text()) col.codes.push_back(-1);
      return true;
    }
    double value = 0;
    const CellClass kind = ClassifyNumber(trimmed, &value);
    col.missing.push_back(0);
    if (kind == CellClass::kNumber) {
      const double remainder = DecimalRemainder(trimmed, value);
      if (remainder != 0 || !col.remainders.empty()) {  // allocated at the first nonzero one
        col.remainders.resize(col.numbers.size(), 0.0);
        col.remainders.push_back(remainder);
      }
      col.numbers.push_back(value);
      ++col.numeric_cells;
      if (col.has_text()) col.codes.push_back(col.levels.Intern(text));
      return true;
    }
    col.numbers.push_back(kNaN);
    if (!col.remainders.empty()) col.remainders.push_back(0.0);
    if (kind == CellClass::kText) {
      // The raw bytes hold the same characters plus doubled quotes, so offsets map directly.
      const size_t bad = FindInvalidUtf8(plan_.bytes.substr(f.begin, f.end - f.begin));
      if (bad != std::string_view::npos) {
        const auto byte = static_cast<unsigned char>(plan_.bytes[f.begin + bad]);
        out_.issue =
            Issue{f.begin + bad,
                  byte == 0 ? fmt::format("NUL byte in column {}: expected text without NUL bytes",
                                          QuoteForMessage(plan_.kept_names[slot]))
                            : fmt::format("invalid UTF-8 (byte 0x{:02X}) in column {}: expected "
                                          "UTF-8 text",
                                          byte, QuoteForMessage(plan_.kept_names[slot]))};
        return false;
      }
      if (!col.has_text()) col.text_from_row = row;
    } else if (!col.first_infinite.found()) {
      col.first_infinite = MakeNote(f.start, text);
    }
    if (!col.first_not_finite.found()) col.first_not_finite = MakeNote(f.start, text);
    if (col.has_text()) col.codes.push_back(col.levels.Intern(text));
    return true;
  }

  void Run(size_t begin, size_t limit, size_t reserve_bytes) {
    out_.begin = out_.end = begin;
    out_.columns.resize(plan_.kept_names.size());
    const std::string_view bytes = plan_.bytes;
    limit = std::min(limit, bytes.size());
    size_t pos = begin;
    while (pos < limit) {
      const int64_t row = out_.rows;
      size_t extra_field = std::string_view::npos;
      bool cell_failed = false;
      const RowScan r =
          ScanRow(bytes, pos, plan_.separator, [&](int64_t index, const FieldView& f) {
            if (index >= plan_.fields) {
              if (index == plan_.fields) extra_field = f.start;
              return;
            }
            const int32_t slot = plan_.slot_of_field[index];
            if (slot < 0 || cell_failed) return;
            cell_failed = !AddCell(out_.columns[slot], slot, f, row);
          });
      if (cell_failed) return;
      if (r.error != RowError::kNone) {
        out_.issue = Issue{r.error_offset, RowErrorMessage(r, bytes, plan_.separator)};
        return;
      }
      if (r.fields != 0 && r.fields != plan_.fields) {
        out_.issue = Issue{
            r.fields > plan_.fields ? extra_field : r.line_end,
            fmt::format("expected {} fields (as in the header), found {}", plan_.fields, r.fields)};
        return;
      }
      if (r.fields != 0) {
        out_.row_newlines.push_back(out_.newlines);
        ++out_.rows;
        if (out_.rows == 256) Reserve(pos - begin, std::max(limit - begin, reserve_bytes));
      }
      out_.newlines += r.newlines;
      pos = out_.end = r.next;
    }
  }

 private:
  // Sizes the vectors for the rest of the range from the bytes per row seen so far.
  void Reserve(size_t used, size_t range) {
    if (used == 0) return;
    const auto expected = static_cast<size_t>(static_cast<double>(range) / used * out_.rows * 1.05);
    out_.row_newlines.reserve(expected);
    for (ChunkColumn& c : out_.columns) {
      c.numbers.reserve(expected);
      c.missing.reserve(expected);
      if (c.has_text() && c.text_from_row == 0) c.codes.reserve(expected);
    }
  }

  const ParsePlan& plan_;
  ChunkResult& out_;
  std::string scratch_;
};

}  // namespace

std::string RowErrorMessage(const RowScan& scan, std::string_view bytes, char separator) {
  const std::string sep = QuoteForMessage(std::string_view(&separator, 1));
  switch (scan.error) {
    case RowError::kUnterminatedQuote:
      return "unterminated quoted field: expected a closing quote for the quote opened here "
             "before the end of the file";
    case RowError::kStrayQuote:
      return "stray quote in an unquoted field: expected the whole field in quotes, with inner "
             "quotes doubled (\"\")";
    case RowError::kTextAfterQuote:
      return fmt::format(
          "expected the separator {} or a line end after the closing quote, found {}", sep,
          QuoteForMessage(bytes.substr(scan.error_offset, 1)));
    case RowError::kBareCarriageReturn:
      return "carriage return without line feed: expected LF or CR LF line ends";
    case RowError::kNone:
      break;
  }
  return "no error";
}

ChunkResult ParseChunk(const ParsePlan& plan, size_t begin, size_t limit, size_t reserve_bytes) {
  ChunkResult result;
  ChunkParser(plan, result).Run(begin, limit, reserve_bytes);
  return result;
}

void CollectText(const ParsePlan& plan, const std::vector<bool>& categorical, ChunkResult& chunk) {
  std::vector<int64_t> need(chunk.columns.size(), 0);  // rows to collect, per slot
  int64_t max_need = 0;
  for (size_t s = 0; s < chunk.columns.size(); ++s) {
    const ChunkColumn& c = chunk.columns[s];
    if (!categorical[s] || c.text_from_row == 0) continue;
    need[s] = c.text_from_row < 0 ? chunk.rows : c.text_from_row;
    max_need = std::max(max_need, need[s]);
  }
  if (max_need == 0) return;
  std::vector<std::vector<int32_t>> prefix(chunk.columns.size());
  for (size_t s = 0; s < prefix.size(); ++s) prefix[s].reserve(need[s]);
  std::string scratch;
  size_t pos = chunk.begin;
  int64_t row = 0;
  while (row < max_need) {
    const RowScan r =
        ScanRow(plan.bytes, pos, plan.separator, [&](int64_t index, const FieldView& f) {
          const int32_t slot = index < plan.fields ? plan.slot_of_field[index] : -1;
          if (slot < 0 || row >= need[slot]) return;
          ChunkColumn& c = chunk.columns[slot];
          prefix[slot].push_back(
              c.missing[row] ? -1 : c.levels.Intern(FieldText(plan.bytes, f, scratch)));
        });
    if (r.fields != 0) ++row;
    pos = r.next;
  }
  for (size_t s = 0; s < prefix.size(); ++s) {
    if (need[s] == 0) continue;
    ChunkColumn& c = chunk.columns[s];
    prefix[s].insert(prefix[s].end(), c.codes.begin(), c.codes.end());
    c.codes = std::move(prefix[s]);
    c.text_from_row = 0;
  }
}

}  // namespace lmm::io
