// Formula variables: plain columns, factor(col), I(expr) and log/exp/sqrt(expr), with their labels
// as R deparses them and their numeric expression trees.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "formula/syntax_tree.h"
#include "lmm/formula.h"

namespace lmm::formula {

// The variable `node` denotes (a name, factor(name), I(expr), log/exp/sqrt(expr)). Throws a
// formula error for numbers, unknown functions, random terms and anything else that is not a
// variable; `context` ("a term", "the response", "a grouping factor") goes into the messages.
Variable MakeVariable(std::string_view text, const Node& node, std::string_view context);

// The numeric expression of an I() argument: numbers, columns, + - * / ^, unary minus and plus,
// parentheses, log/exp/sqrt and nested I(). factor(), random terms and other functions are errors.
Expr MakeExpr(std::string_view text, const Node& node);

// Appends the columns `variable` reads, in the order they are written.
void AppendColumns(const Variable& variable, std::vector<std::string>& columns);

}  // namespace lmm::formula
