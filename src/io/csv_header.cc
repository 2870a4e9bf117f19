#include "io/csv_header.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "io/csv_row_scanner.h"

namespace lmm::io {

namespace {

// The header names for a message: quoted, comma-separated, at most 40 of them.
std::string ListNames(const std::vector<std::string>& names) {
  constexpr size_t kMaxListed = 40;
  std::string out;
  for (size_t i = 0; i < names.size() && i < kMaxListed; ++i) {
    if (i > 0) out += ", ";
    out += QuoteForMessage(names[i]);
  }
  if (names.size() > kMaxListed) out += fmt::format(", ... ({} more)", names.size() - kMaxListed);
  return out;
}

}  // namespace

Header ParseHeader(std::string_view bytes, const std::string& source, char separator) {
  Header h;
  size_t pos = 0;
  int64_t line = 1;
  for (;;) {
    if (pos >= bytes.size())
      ThrowAt(source, Locate(bytes, 0, 1, pos),
              "empty file: expected a header row of column names");
    std::string scratch;
    h.names.clear();
    h.starts.clear();
    const RowScan r = ScanRow(bytes, pos, separator, [&](int64_t, const FieldView& f) {
      h.names.emplace_back(FieldText(bytes, f, scratch));
      h.starts.push_back(f.start);
    });
    if (r.error != RowError::kNone)
      ThrowAt(source, Locate(bytes, 0, 1, r.error_offset), RowErrorMessage(r, bytes, separator));
    line += r.newlines;
    pos = r.next;
    if (r.fields > 0) break;  // otherwise a blank line before the header
  }
  h.body_begin = pos;
  h.body_line = line;

  std::unordered_map<std::string_view, size_t> first;
  for (size_t i = 0; i < h.names.size(); ++i) {
    if (TrimSpaces(h.names[i]).empty())
      ThrowAt(source, Locate(bytes, 0, 1, h.starts[i]),
              fmt::format("empty column name (header field {}): expected a name for every column "
                          "(R's write.csv writes an empty name for row names; use "
                          "row.names = FALSE)",
                          i + 1));
    auto [it, inserted] = first.emplace(h.names[i], i);
    if (!inserted) {
      const TextPosition a = Locate(bytes, 0, 1, h.starts[it->second]);
      ThrowAt(source, Locate(bytes, 0, 1, h.starts[i]),
              fmt::format("duplicate column name {} in the header: fields {} (line {}, column {}) "
                          "and {}; expected distinct names",
                          QuoteForMessage(h.names[i]), it->second + 1, a.line, a.column, i + 1));
    }
  }
  return h;
}

ParsePlan MakePlan(std::string_view bytes, const Header& header, const CsvOptions& options,
                   const std::string& source) {
  ParsePlan plan;
  plan.bytes = bytes;
  plan.separator = options.separator;
  plan.fields = static_cast<int64_t>(header.names.size());
  plan.na_tokens = NaTokenSet(options.na_tokens);
  std::vector<bool> kept(header.names.size(), !options.keep.has_value());
  if (options.keep) {
    std::string absent;
    for (const std::string& name : *options.keep) {
      auto it = std::find(header.names.begin(), header.names.end(), name);
      if (it == header.names.end()) {
        absent += (absent.empty() ? "" : ", ") + QuoteForMessage(name);
      } else {
        kept[it - header.names.begin()] = true;
      }
    }
    if (!absent.empty())
      ThrowAt(source, Locate(bytes, 0, 1, header.starts[0]),
              fmt::format("no column named {} in the header; the header has {} columns: {}", absent,
                          header.names.size(), ListNames(header.names)));
  }
  plan.slot_of_field.assign(header.names.size(), -1);
  for (size_t i = 0; i < header.names.size(); ++i) {
    if (!kept[i]) continue;
    const std::string& name = header.names[i];
    const size_t bad = FindInvalidUtf8(name);
    if (bad != std::string_view::npos) {
      // Names with doubled quotes shift offsets; point at the field when that is the case.
      const bool quoted = bytes[header.starts[i]] == '"';
      const size_t offset = header.starts[i] + (quoted ? 1 : 0) + bad;
      ThrowAt(source,
              Locate(bytes, 0, 1, name.find('"') == std::string::npos ? offset : header.starts[i]),
              fmt::format("column name {} is not UTF-8 text (byte 0x{:02X})", QuoteForMessage(name),
                          static_cast<unsigned char>(name[bad])));
    }
    plan.slot_of_field[i] = static_cast<int32_t>(plan.kept_names.size());
    plan.kept_names.push_back(name);
  }
  return plan;
}

}  // namespace lmm::io
