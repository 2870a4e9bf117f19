// Recursive-descent parser for R formula syntax with R's operator precedence (?Syntax):
//   ^ (right-assoc)  >  unary - +  >  :  >  %in%  >  * /  >  binary + -  >  | ||  >  ~
#pragma once

#include <cstddef>
#include <string_view>

#include "formula/syntax_tree.h"

namespace lmm::formula {

// Parses `response ~ rhs` into a kBinary "~" node. Throws formula errors (with position) for an
// empty formula, a missing or repeated '~', a missing response or right-hand side, unbalanced
// parentheses, dangling operators, bad tokens and nesting deeper than kMaxDepth.
Node ParseSyntax(std::string_view text);

inline constexpr int kMaxDepth = 200;
inline constexpr size_t kMaxTokens = 4000;

}  // namespace lmm::formula
