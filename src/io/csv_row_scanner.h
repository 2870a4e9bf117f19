// RFC 4180 tokenizer for one row: fields, quotes, line ends. Header-only so that the per-field
// callback inlines into the chunk parser's loop.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace lmm::io {

// One field of a row as byte offsets into the whole input.
struct FieldView {
  size_t start = 0;  // the field's first byte (its opening quote when quoted)
  size_t begin = 0;  // content [begin, end): inside the quotes when quoted, still escaped
  size_t end = 0;
  bool quoted = false;
  bool escaped = false;  // the content holds doubled quotes ("") that stand for one quote
};

enum class RowError {
  kNone,
  kUnterminatedQuote,   // error_offset: the opening quote
  kStrayQuote,          // a quote inside an unquoted field; error_offset: that quote
  kTextAfterQuote,      // a closing quote not followed by separator or line end
  kBareCarriageReturn,  // CR not followed by LF outside quotes
};

struct RowScan {
  size_t next = 0;       // offset of the next row (after the line end), or the input size
  size_t line_end = 0;   // offset of the row's CR/LF terminator, or the input size
  int64_t fields = 0;    // 0 for a blank line (an empty line, or CR LF alone)
  int64_t newlines = 0;  // LF bytes consumed, inside quoted fields and the terminator
  RowError error = RowError::kNone;
  size_t error_offset = 0;
};

// The first offset at or after i that holds sep, LF, CR or a quote; n when there is none. Sixteen
// bytes at a time with SSE2 while they lie inside [0, n), then byte by byte.
inline size_t FindFieldEnd(const char* d, size_t i, size_t n, char sep) {
#if defined(__SSE2__)
  const __m128i separator = _mm_set1_epi8(sep);
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i quote = _mm_set1_epi8('"');
  for (; i + 16 <= n; i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + i));
    const __m128i hit =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, separator), _mm_cmpeq_epi8(x, lf)),
                     _mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, quote)));
    const int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  while (i < n && d[i] != sep && d[i] != '\n' && d[i] != '\r' && d[i] != '"') ++i;
  return i;
}

// Scans the row that starts at `pos` (< bytes.size()), calling on_field(index, field) for each
// field in order. Stops at the first error, after which no more fields are reported.
template <class OnField>
RowScan ScanRow(std::string_view bytes, size_t pos, char sep, OnField&& on_field) {
  const char* d = bytes.data();
  const size_t n = bytes.size();
  RowScan r;
  size_t i = pos;
  if (d[i] == '\n' || (d[i] == '\r' && i + 1 < n && d[i + 1] == '\n')) {
    r.line_end = i;
    r.next = i + (d[i] == '\n' ? 1 : 2);
    r.newlines = 1;
    return r;
  }
  int64_t index = 0;
  for (;;) {
    FieldView f;
    f.start = i;
    if (i < n && d[i] == '"') {
      f.quoted = true;
      f.begin = i + 1;
      size_t j = i + 1;
      for (;;) {
        const void* q = std::memchr(d + j, '"', n - j);
        if (q == nullptr) {
          r.error = RowError::kUnterminatedQuote;
          r.error_offset = i;
          return r;
        }
        const size_t k = static_cast<const char*>(q) - d;
        r.newlines += std::count(d + j, d + k, '\n');
        if (k + 1 < n && d[k + 1] == '"') {
          f.escaped = true;
          j = k + 2;
          continue;
        }
        j = k;
        break;
      }
      f.end = j;
      i = j + 1;
    } else {
      f.begin = i;
      i = FindFieldEnd(d, i, n, sep);
      f.end = i;
      if (i < n && d[i] == '"') {
        r.error = RowError::kStrayQuote;
        r.error_offset = i;
        return r;
      }
    }
    on_field(index++, f);
    if (i >= n) {
      r.line_end = r.next = n;
      break;
    }
    const char c = d[i];
    if (c == sep) {
      ++i;
      continue;
    }
    if (c == '\n' || (c == '\r' && i + 1 < n && d[i + 1] == '\n')) {
      r.line_end = i;
      r.next = i + (c == '\n' ? 1 : 2);
      ++r.newlines;
      break;
    }
    r.error = c == '\r' ? RowError::kBareCarriageReturn : RowError::kTextAfterQuote;
    r.error_offset = i;
    return r;
  }
  r.fields = index;
  return r;
}

// The field's text with doubled quotes undone; a view into `bytes` unless it was escaped, then
// into `scratch`.
inline std::string_view FieldText(std::string_view bytes, const FieldView& f,
                                  std::string& scratch) {
  std::string_view raw = bytes.substr(f.begin, f.end - f.begin);
  if (!f.escaped) return raw;
  scratch.clear();
  for (size_t i = 0; i < raw.size(); ++i) {
    scratch.push_back(raw[i]);
    if (raw[i] == '"') ++i;  // skip the second quote of a pair
  }
  return scratch;
}

}  // namespace lmm::io
