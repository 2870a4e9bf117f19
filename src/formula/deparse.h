// R's deparse() of formula expressions: the text R uses for term labels and model.matrix column
// names ("I(x + 1)", "I(Days^2)", "log(x)", "`odd name`").
#pragma once

#include <string>
#include <string_view>

#include "formula/syntax_tree.h"

namespace lmm::formula {

// A double as deparse() prints it: R's formatReal with 15 significant digits; fixed notation unless
// scientific is narrower ("0.001", "1e-04", "1e+05", "123456", "3.14159265358979", "Inf").
std::string FormatNumber(double x);

// R's syntactic names (?make.names): a letter, or '.' not followed by a digit, then letters,
// digits, '.' and '_'; not a reserved word (if, TRUE, NULL, ...).
bool IsSyntacticName(std::string_view name);
bool IsReservedWord(std::string_view name);

// A name as deparse() prints it: backquoted unless syntactic.
std::string DeparseName(std::string_view name);

// An expression as deparse() prints it: parentheses as written; a space either side of binary
// + - * %in% | || ~, none around / ^ :; unary operators glued to their operand ("-x", "--x");
// calls as "f(a, b = c)".
std::string Deparse(const Node& node);

}  // namespace lmm::formula
