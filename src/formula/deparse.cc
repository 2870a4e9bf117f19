#include "formula/deparse.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace lmm::formula {

// R's formatReal (src/main/format.c) for one finite value with R_print.digits = 15 (deparse uses
// DBL_DIG) and scipen = 0: find the significant digits (nsig <= 15) and decimal exponent (kpower);
// fixed notation needs `neg + max(1, kpower + 1) + rgt + (rgt > 0)` characters with
// rgt = max(0, nsig - kpower - 1) digits after the point, scientific notation
// `neg + (nsig > 1) + (nsig - 1) + 4 + e` with e = 2 for three-digit exponents; fixed wins ties.
std::string FormatNumber(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Inf" : "-Inf";
  if (x == 0) return "0";
  const bool negative = x < 0;
  const double ax = std::fabs(x);
  // "%.14e" rounds to 15 significant digits: d.dddddddddddddde[+-]XX[X].
  std::array<char, 64> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%.14e", ax);
  const std::string sci(buffer.data());
  const size_t e_at = sci.find('e');
  const std::string digits = sci.substr(0, 1) + sci.substr(2, e_at - 2);
  const int kpower = std::atoi(sci.c_str() + e_at + 1);
  int nsig = static_cast<int>(digits.size());
  while (nsig > 1 && digits[static_cast<size_t>(nsig) - 1] == '0') --nsig;
  // Rounding to 15 digits may carry into a new leading digit (99999999999999999 -> 1e+17); the
  // fixed-notation width then keeps the unrounded number of integer digits.
  const bool rounding_widens = kpower > 0 && kpower <= 22 && ax < std::pow(10.0, kpower);
  const int left = kpower + 1 - (rounding_widens ? 1 : 0);
  const int neg = negative ? 1 : 0;
  const int sleft = neg + (left <= 0 ? 1 : left);
  const int rgt = std::max(0, nsig - left);
  const int fixed_width = sleft + rgt + (rgt != 0 ? 1 : 0);
  const int exponent_digits = (kpower >= 100 || kpower <= -99) ? 2 : 1;
  const int sci_digits = nsig - 1;
  const int sci_width = neg + (sci_digits > 0 ? 1 : 0) + sci_digits + 4 + exponent_digits;
  std::array<char, 512> out{};
  if (fixed_width <= sci_width) {
    std::snprintf(out.data(), out.size(), "%.*f", rgt, x);
  } else {
    std::snprintf(out.data(), out.size(), "%.*e", sci_digits, x);
  }
  return std::string(out.data());
}

bool IsReservedWord(std::string_view name) {
  static constexpr std::array<std::string_view, 19> kReserved = {
      "if",          "else",     "repeat",        "while",       "function", "for", "next",
      "break",       "TRUE",     "FALSE",         "NULL",        "Inf",      "NaN", "NA",
      "NA_integer_", "NA_real_", "NA_character_", "NA_complex_", "in"};
  for (std::string_view word : kReserved) {
    if (name == word) return true;
  }
  return false;
}

bool IsSyntacticName(std::string_view name) {
  if (name.empty() || IsReservedWord(name)) return false;
  const auto letter = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           static_cast<unsigned char>(c) >= 0x80;
  };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!letter(name[0]) && name[0] != '.') return false;
  if (name[0] == '.' && name.size() > 1 && digit(name[1])) return false;
  for (char c : name) {
    if (!letter(c) && !digit(c) && c != '.' && c != '_') return false;
  }
  return true;
}

std::string DeparseName(std::string_view name) {
  if (IsSyntacticName(name)) return std::string(name);
  return "`" + std::string(name) + "`";
}

std::string Deparse(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kName:
      return DeparseName(node.text);
    case Node::Kind::kNumber:
      return FormatNumber(node.number);
    case Node::Kind::kParen:
      return "(" + Deparse(node.args[0]) + ")";
    case Node::Kind::kUnary:
      return node.text + Deparse(node.args[0]);
    case Node::Kind::kCall: {
      std::string out = DeparseName(node.text) + "(";
      for (size_t i = 0; i < node.args.size(); ++i) {
        if (i > 0) out += ", ";
        if (!node.arg_names[i].empty()) out += DeparseName(node.arg_names[i]) + " = ";
        out += Deparse(node.args[i]);
      }
      return out + ")";
    }
    case Node::Kind::kBinary: {
      const bool tight = node.text == "/" || node.text == "^" || node.text == ":";
      const std::string op = tight ? node.text : " " + node.text + " ";
      return Deparse(node.args[0]) + op + Deparse(node.args[1]);
    }
  }
  return {};
}

}  // namespace lmm::formula
