// Typing of one CSV cell: missing-value tokens, numbers, UTF-8 validity.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lmm::io {

// Leading and trailing ASCII spaces and tabs removed. Numbers and missing-value tokens are
// recognised after trimming (R's type.convert does the same for numbers); category levels keep the
// exact text.
std::string_view TrimSpaces(std::string_view text);

// The missing-value tokens (CsvOptions::na_tokens), compared with a trimmed cell byte for byte.
class NaTokenSet {
 public:
  explicit NaTokenSet(const std::vector<std::string>& tokens);
  bool Contains(std::string_view trimmed) const {
    if (trimmed.size() > max_size_) return false;
    for (const std::string& t : tokens_)
      if (t == trimmed) return true;
    return false;
  }

 private:
  std::vector<std::string> tokens_;
  size_t max_size_ = 0;
};

enum class CellClass {
  kNumber,    // the whole (trimmed) text is a finite decimal number
  kInfinite,  // "inf"/"infinity" in any case with an optional sign, or a number overflowing double
  kText,      // anything else, including "nan", hex, "12abc" and the empty string
};

// Classifies a trimmed cell. For kNumber, *value is std::from_chars' correctly rounded double
// (decimal or scientific notation, an optional leading '+' or '-'); a number too small for a
// double is +-0 (the correctly rounded value).
CellClass ClassifyNumber(std::string_view trimmed, double* value);

// For a cell ClassifyNumber read as the number `value`: the part of the written decimal that the
// double lost, exact(text) - value, when the text is a plain decimal ([+-]digits.digits, no
// exponent) with at most 18 integer digits and |value| >= 2^31; else 0. value + remainder carries
// the decimal to ~1e-16 of its fractional part, which keeps NIST's 1e12 + 0.1 data exact enough.
double DecimalRemainder(std::string_view trimmed, double value);

// Offset of the first byte that makes `text` invalid UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF), or of its first NUL byte; std::string_view::npos when valid.
size_t FindInvalidUtf8(std::string_view text);

}  // namespace lmm::io
