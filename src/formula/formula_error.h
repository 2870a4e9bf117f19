// Formula errors: a one-line message, then the formula with a caret under the offending place.
#pragma once

#include <string>
#include <string_view>

namespace lmm::formula {

// Throws lmm::Error(kUsage) with the message
//   "formula error at column C: <message>\n  <text>\n  <spaces>^"
// where C is the 1-based column (in characters, UTF-8 aware) of byte offset `position`; a position
// at or past the end points just after the last character.
[[noreturn]] void ThrowFormulaError(std::string_view text, int position, std::string_view message);

}  // namespace lmm::formula
