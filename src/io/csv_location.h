// Places in the input and the one-line "FILE:LINE:COLUMN: message" errors of the CSV reader.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lmm::io {

struct TextPosition {
  int64_t line = 0;    // 1-based
  int64_t column = 0;  // 1-based, in bytes from the start of the line
};

// Position of byte `offset` of `bytes`, given that `origin` (<= offset) is the first byte of line
// `origin_line`.
TextPosition Locate(std::string_view bytes, size_t origin, int64_t origin_line, size_t offset);

// An error found while parsing, kept as a byte offset until line numbers are known.
struct Issue {
  size_t offset = 0;
  std::string message;
};

// "source:line:column: message" as an lmm::Error of kind kData.
[[noreturn]] void ThrowAt(const std::string& source, TextPosition where, std::string_view message);

// `text` in double quotes for a message: at most `max_bytes` bytes (cut at a UTF-8 boundary, then
// "..."), control and non-UTF-8 bytes written as \xHH.
std::string QuoteForMessage(std::string_view text, size_t max_bytes = 40);

// At most `max_bytes` bytes of `text`, cut at a UTF-8 character boundary.
std::string_view TruncateUtf8(std::string_view text, size_t max_bytes);

}  // namespace lmm::io
