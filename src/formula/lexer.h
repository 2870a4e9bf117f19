// Tokens of R's formula syntax, the subset lme4 formulas use.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lmm::formula {

struct Token {
  enum class Kind {
    kName,      // a column or function name; `text` is unquoted
    kNumber,    // a numeric literal; `number` holds its value
    kOperator,  // ~ + - * / ^ : %in% | || = ,
    kOpen,      // (
    kClose,     // )
    kEnd,       // end of the formula
  };
  Kind kind = Kind::kEnd;
  std::string text;         // name (without backquotes), operator, or the literal as written
  bool backquoted = false;  // kName written as `name`
  double number = 0;
  int begin = 0;  // byte offsets [begin, end) in the formula
  int end = 0;
};

// Splits `text` into tokens ending with one kEnd token. Throws a formula error (ThrowFormulaError)
// for characters R formulas cannot contain here ('$', '#', '&', ...), unterminated backquotes and
// malformed numbers.
std::vector<Token> Tokenize(std::string_view text);

// True for bytes that may continue an R name: letters, digits, '.', '_' and any non-ASCII byte
// (R accepts letters of the locale; UTF-8 sequences are taken whole).
bool IsNameChar(char c);

}  // namespace lmm::formula
