#include "io/csv_cell.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <system_error>

namespace lmm::io {

std::string_view TrimSpaces(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && (text[b] == ' ' || text[b] == '\t')) ++b;
  while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t')) --e;
  return text.substr(b, e - b);
}

NaTokenSet::NaTokenSet(const std::vector<std::string>& tokens) {
  for (const std::string& t : tokens) {
    tokens_.emplace_back(TrimSpaces(t));
    if (tokens_.back().size() > max_size_) max_size_ = tokens_.back().size();
  }
}

namespace {

// For a decimal string that std::from_chars reported out of range: true when its magnitude is
// too large for a double (overflow), false when too small (underflow). The decimal exponent of
// the leading significant digit decides: d.ddd x 10^E overflows for E > 0, underflows for E < 0.
bool OutOfRangeIsOverflow(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  int64_t lead = 0;  // decimal exponent of the leading significant digit, before the 'e' part
  bool seen_digit = false, after_point = false;
  int64_t point_zeros = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.') {
      after_point = true;
    } else if (c >= '0' && c <= '9') {
      if (!after_point) {
        if (seen_digit || c != '0') ++lead, seen_digit = true;
      } else if (!seen_digit) {
        if (c == '0') {
          ++point_zeros;
        } else {
          seen_digit = true;
          lead = -point_zeros - 1;
        }
      }
    } else {
      break;
    }
  }
  int64_t exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i)
      if (exponent < (int64_t{1} << 40)) exponent = exponent * 10 + (s[i] - '0');
    if (negative) exponent = -exponent;
  }
  return lead + exponent > 0;
}

}  // namespace

CellClass ClassifyNumber(std::string_view trimmed, double* value) {
  std::string_view s = trimmed;
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+' || (trimmed[0] == '+' && s[0] == '-')) return CellClass::kText;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *value, std::chars_format::general);
  if (ec == std::errc::invalid_argument || ptr != end) return CellClass::kText;
  if (ec == std::errc::result_out_of_range) {
    if (OutOfRangeIsOverflow(s)) return CellClass::kInfinite;
    *value = s[0] == '-' ? -0.0 : 0.0;
    return CellClass::kNumber;
  }
  if (std::isnan(*value)) return CellClass::kText;
  // With ec == errc{}, an infinite result comes from the words "inf" / "infinity" (any case).
  if (std::isinf(*value)) return CellClass::kInfinite;
  return CellClass::kNumber;
}

double DecimalRemainder(std::string_view trimmed, double value) {
  if (!(std::abs(value) >= 2147483648.0)) return 0.0;
  std::string_view s = trimmed;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  const size_t dot = s.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 18) return 0.0;
  int64_t integer = 0;
  for (size_t i = 0; i < dot; ++i) {
    if (s[i] < '0' || s[i] > '9') return 0.0;
    integer = integer * 10 + (s[i] - '0');
  }
  std::string fraction = "0";
  fraction.append(s.substr(dot));
  for (size_t i = 2; i < fraction.size(); ++i)
    if (fraction[i] < '0' || fraction[i] > '9') return 0.0;
  double frac = 0;
  if (fraction.size() > 2 &&
      std::from_chars(fraction.data(), fraction.data() + fraction.size(), frac).ec != std::errc())
    return 0.0;
  // |value| rounds integer + frac, so integer - |value| is exact (Sterbenz: both lie within a
  // factor of two of each other); adding frac rounds only at ~1e-16 of the fraction.
  const double magnitude = (static_cast<double>(integer) - std::abs(value)) + frac;
  return negative ? -magnitude : magnitude;
}

size_t FindInvalidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c >= 0x01 && c < 0x80) {
      ++i;
      continue;
    }
    if (c == 0) return i;
    size_t len;
    uint32_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // no overlong 3-byte forms
      if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // no overlong 4-byte forms
      if (c == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
    } else {
      return i;
    }
    if (i + 1 >= n || p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k)
      if (i + k >= n || (p[i + k] & 0xC0) != 0x80) return i;
    i += len;
  }
  return std::string_view::npos;
}

}  // namespace lmm::io
