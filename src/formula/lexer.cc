#include "formula/lexer.h"

#include <charconv>
#include <cmath>
#include <string>

#include "formula/formula_error.h"

namespace lmm::formula {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || static_cast<unsigned char>(c) >= 0x80;
}

// Length of the numeric literal at text[i]: digits [. digits] [e|E [+|-] digits], or . digits ...
// Throws for an exponent without digits ("1e") and for a literal glued to a name ("2x").
size_t ScanNumber(std::string_view text, size_t i) {
  const size_t start = i;
  while (i < text.size() && IsDigit(text[i])) ++i;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && IsDigit(text[i])) ++i;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    size_t j = i + 1;
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
    if (j >= text.size() || !IsDigit(text[j]))
      ThrowFormulaError(text, static_cast<int>(start), "malformed number: exponent without digits");
    while (j < text.size() && IsDigit(text[j])) ++j;
    i = j;
  }
  if (i < text.size() && IsNameChar(text[i]))
    ThrowFormulaError(text, static_cast<int>(i),
                      "unexpected '" + std::string(1, text[i]) + "' right after a number");
  return i - start;
}

double NumberValue(std::string_view literal) {
  double value = 0;
  // from_chars needs a digit before the point; R accepts ".5".
  std::string s(literal);
  if (!s.empty() && s[0] == '.') s.insert(s.begin(), '0');
  const auto result = std::from_chars(s.data(), s.data() + s.size(), value);
  if (result.ec == std::errc::result_out_of_range) {
    // Overflow reads as Inf and underflow as 0, as R reads such literals.
    const size_t e = s.find_first_of("eE");
    const bool negative_exponent = e != std::string::npos && e + 1 < s.size() && s[e + 1] == '-';
    return negative_exponent ? 0.0 : HUGE_VAL;
  }
  return value;
}

}  // namespace

bool IsNameChar(char c) { return IsLetter(c) || IsDigit(c) || c == '.' || c == '_'; }

std::vector<Token> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    Token token;
    token.begin = static_cast<int>(i);
    if (IsDigit(c) || (c == '.' && i + 1 < text.size() && IsDigit(text[i + 1]))) {
      const size_t n = ScanNumber(text, i);
      token.kind = Token::Kind::kNumber;
      token.text = std::string(text.substr(i, n));
      token.number = NumberValue(token.text);
      i += n;
    } else if (IsLetter(c) || c == '.' || c == '_') {
      size_t j = i;
      while (j < text.size() && IsNameChar(text[j])) ++j;
      token.kind = Token::Kind::kName;
      token.text = std::string(text.substr(i, j - i));
      i = j;
    } else if (c == '`') {
      const size_t close = text.find('`', i + 1);
      if (close == std::string_view::npos)
        ThrowFormulaError(text, static_cast<int>(i), "unterminated backquoted name");
      if (close == i + 1) ThrowFormulaError(text, static_cast<int>(i), "empty backquoted name");
      token.kind = Token::Kind::kName;
      token.backquoted = true;
      token.text = std::string(text.substr(i + 1, close - i - 1));
      i = close + 1;
    } else if (c == '(' || c == ')') {
      token.kind = c == '(' ? Token::Kind::kOpen : Token::Kind::kClose;
      token.text = std::string(1, c);
      ++i;
    } else if (c == '|' && i + 1 < text.size() && text[i + 1] == '|') {
      token.kind = Token::Kind::kOperator;
      token.text = "||";
      i += 2;
    } else if (c == '%') {
      const size_t close = text.find('%', i + 1);
      if (close == std::string_view::npos)
        ThrowFormulaError(text, static_cast<int>(i), "unterminated %operator%");
      token.kind = Token::Kind::kOperator;
      token.text = std::string(text.substr(i, close + 1 - i));
      if (token.text != "%in%")
        ThrowFormulaError(text, static_cast<int>(i),
                          "unsupported operator '" + token.text + "' (only %in% is allowed)");
      i = close + 1;
    } else if (std::string_view("~+-*/^:|=,").find(c) != std::string_view::npos) {
      token.kind = Token::Kind::kOperator;
      token.text = std::string(1, c);
      ++i;
    } else {
      const bool printable = static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
      ThrowFormulaError(text, static_cast<int>(i),
                        printable ? "unexpected character '" + std::string(1, c) + "'"
                                  : std::string("unexpected control character"));
    }
    token.end = static_cast<int>(i);
    tokens.push_back(std::move(token));
  }
  Token end;
  end.begin = end.end = static_cast<int>(text.size());
  tokens.push_back(end);
  return tokens;
}

}  // namespace lmm::formula
