// The parsed formula as R's parser would build it, before any formula semantics: calls, operators
// and parentheses kept as written (R's deparse, and hence every label, depends on them).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lmm::formula {

struct Node {
  enum class Kind {
    kName,    // text: the name, unquoted
    kNumber,  // number: value; text: the literal as written
    kCall,    // text: function name; args: arguments; arg_names: "" or the argument's name
    kParen,   // args[0]: the expression inside ( )
    kUnary,   // text: "-" or "+"; args[0]: operand
    kBinary,  // text: "~" "|" "||" "+" "-" "*" "/" "%in%" ":" "^"; args: left, right
  };
  Kind kind = Kind::kName;
  std::string text;
  bool backquoted = false;
  double number = 0;
  std::vector<Node> args;
  std::vector<std::string> arg_names;
  int begin = 0;  // byte offsets [begin, end) of the whole expression in the formula
  int end = 0;
  int op_position = 0;  // kUnary/kBinary: offset of the operator; kCall: of the '('

  bool IsBinary(std::string_view op) const { return kind == Kind::kBinary && text == op; }
  bool IsBar() const { return IsBinary("|") || IsBinary("||"); }
};

// The node inside any number of enclosing parentheses.
inline const Node& StripParens(const Node& node) {
  const Node* n = &node;
  while (n->kind == Node::Kind::kParen) n = &n->args[0];
  return *n;
}

}  // namespace lmm::formula
