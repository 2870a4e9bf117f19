#include "io/csv_location.h"

#include <fmt/format.h>

#include <algorithm>

#include "io/csv_cell.h"
#include "lmm/error.h"

namespace lmm::io {

TextPosition Locate(std::string_view bytes, size_t origin, int64_t origin_line, size_t offset) {
  offset = std::min(offset, bytes.size());
  const char* d = bytes.data();
  TextPosition p;
  p.line = origin_line + std::count(d + origin, d + offset, '\n');
  size_t line_start = offset;
  while (line_start > origin && d[line_start - 1] != '\n') --line_start;
  p.column = static_cast<int64_t>(offset - line_start) + 1;
  return p;
}

void ThrowAt(const std::string& source, TextPosition where, std::string_view message) {
  throw DataError(fmt::format("{}:{}:{}: {}", source, where.line, where.column, message));
}

std::string_view TruncateUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t cut = max_bytes;
  // Step back over continuation bytes so that no character is split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

std::string QuoteForMessage(std::string_view text, size_t max_bytes) {
  std::string_view shown = TruncateUtf8(text, max_bytes);
  std::string out = "\"";
  size_t i = 0;
  while (i < shown.size()) {
    const auto c = static_cast<unsigned char>(shown[i]);
    if (c >= 0x80) {
      // Copy a valid multi-byte character whole; escape a byte that does not start one.
      size_t bad = FindInvalidUtf8(shown.substr(i, 4));
      size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      if (bad != 0 && (bad == std::string_view::npos || bad >= len) && i + len <= shown.size()) {
        out.append(shown.substr(i, len));
        i += len;
        continue;
      }
      out += fmt::format("\\x{:02X}", c);
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02X}", c);
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  out += '"';
  if (shown.size() < text.size()) out += "...";
  return out;
}

}  // namespace lmm::io
