#include "formula/formula_error.h"

#include <algorithm>

#include "lmm/error.h"

namespace lmm::formula {
namespace {

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

void ThrowFormulaError(std::string_view text, int position, std::string_view message) {
  const size_t end = std::min(text.size(), static_cast<size_t>(std::max(position, 0)));
  int column = 1;
  for (size_t i = 0; i < end; ++i) {
    if (!IsContinuationByte(text[i])) ++column;
  }
  std::string shown(text);
  // Tabs, newlines and other control characters would misplace the caret: show them as spaces.
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  std::string out = "formula error at column " + std::to_string(column) + ": ";
  out.append(message);
  out += "\n  ";
  out += shown;
  out += "\n";
  out.append(static_cast<size_t>(column) + 1, ' ');
  out += '^';
  throw Error(ErrorKind::kUsage, out);
}

}  // namespace lmm::formula
