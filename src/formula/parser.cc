#include "formula/parser.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "formula/formula_error.h"
#include "formula/lexer.h"

namespace lmm::formula {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text), tokens_(Tokenize(text)) {
    // Long operator chains nest as deeply as they are long; every later pass recurses over them.
    if (tokens_.size() > kMaxTokens)
      Fail(tokens_[kMaxTokens].begin,
           "formula too long (more than " + std::to_string(kMaxTokens) + " tokens)");
  }

  Node ParseFormula() {
    if (Peek().kind == Token::Kind::kEnd) Fail(0, "empty formula");
    if (IsOperator("~")) Fail(Peek().begin, "missing response before '~'");
    Node response = ParseBars();
    if (!IsOperator("~")) {
      if (Peek().kind == Token::Kind::kEnd)
        Fail(Peek().begin, "missing '~' between the response and the terms");
      FailUnexpected();
    }
    const Token tilde = Next();
    Node rhs = ParseBars();
    if (IsOperator("~")) Fail(Peek().begin, "a formula has only one '~'");
    if (Peek().kind != Token::Kind::kEnd) FailUnexpected();
    return Binary(tilde, std::move(response), std::move(rhs));
  }

 private:
  // bars := sum (('|' | '||') sum)*
  Node ParseBars() {
    Node left = ParseSum();
    while (IsOperator("|") || IsOperator("||")) {
      const Token op = Next();
      left = Binary(op, std::move(left), ParseSum());
    }
    return left;
  }

  // sum := product (('+' | '-') product)*
  Node ParseSum() {
    Node left = ParseProduct();
    while (IsOperator("+") || IsOperator("-")) {
      const Token op = Next();
      left = Binary(op, std::move(left), ParseProduct());
    }
    return left;
  }

  // product := special (('*' | '/') special)*
  Node ParseProduct() {
    Node left = ParseSpecial();
    while (IsOperator("*") || IsOperator("/")) {
      const Token op = Next();
      left = Binary(op, std::move(left), ParseSpecial());
    }
    return left;
  }

  // special := colon ('%in%' colon)*
  Node ParseSpecial() {
    Node left = ParseColon();
    while (IsOperator("%in%")) {
      const Token op = Next();
      left = Binary(op, std::move(left), ParseColon());
    }
    return left;
  }

  // colon := unary (':' unary)*
  Node ParseColon() {
    Node left = ParseUnary();
    while (IsOperator(":")) {
      const Token op = Next();
      left = Binary(op, std::move(left), ParseUnary());
    }
    return left;
  }

  // unary := ('-' | '+') unary | power
  Node ParseUnary() {
    if (IsOperator("-") || IsOperator("+")) {
      const Token op = Next();
      DepthGuard guard(this, op.begin);
      Node operand = ParseUnary();
      Node node;
      node.kind = Node::Kind::kUnary;
      node.text = op.text;
      node.begin = node.op_position = op.begin;
      node.end = operand.end;
      node.args.push_back(std::move(operand));
      return node;
    }
    return ParsePower();
  }

  // power := primary ('^' unary)?   (right-associative: 2^3^2 is 2^(3^2); 2^-1 is allowed)
  Node ParsePower() {
    Node base = ParsePrimary();
    if (!IsOperator("^")) return base;
    const Token op = Next();
    DepthGuard guard(this, op.begin);
    return Binary(op, std::move(base), ParseUnary());
  }

  // primary := number | name | name '(' args ')' | '(' bars ')'
  Node ParsePrimary() {
    const Token& token = Peek();
    Node node;
    node.begin = token.begin;
    if (token.kind == Token::Kind::kNumber) {
      node.kind = Node::Kind::kNumber;
      node.text = token.text;
      node.number = token.number;
      node.end = Next().end;
      return node;
    }
    if (token.kind == Token::Kind::kName) {
      const Token name = Next();
      node.text = name.text;
      node.backquoted = name.backquoted;
      node.end = name.end;
      if (Peek().kind != Token::Kind::kOpen || name.backquoted) return node;
      node.kind = Node::Kind::kCall;
      const Token open = Next();
      node.op_position = open.begin;
      DepthGuard guard(this, open.begin);
      ParseArguments(node, open);
      return node;
    }
    if (token.kind == Token::Kind::kOpen) {
      const Token open = Next();
      DepthGuard guard(this, open.begin);
      node.kind = Node::Kind::kParen;
      node.args.push_back(ParseBars());
      node.end = Expect(open).end;
      return node;
    }
    FailExpectedTerm();
  }

  void ParseArguments(Node& call, const Token& open) {
    if (Peek().kind == Token::Kind::kClose) {
      call.end = Next().end;
      return;
    }
    while (true) {
      std::string arg_name;
      if (Peek().kind == Token::Kind::kName && PeekAt(1).kind == Token::Kind::kOperator &&
          PeekAt(1).text == "=") {
        arg_name = Next().text;
        Next();
      }
      call.args.push_back(ParseBars());
      call.arg_names.push_back(std::move(arg_name));
      if (!IsOperator(",")) break;
      Next();
    }
    call.end = Expect(open).end;
  }

  // Consumes the ')' matching `open`.
  const Token& Expect(const Token& open) {
    if (IsOperator("~")) Fail(Peek().begin, "'~' inside parentheses: a formula has only one '~'");
    if (Peek().kind != Token::Kind::kClose)
      Fail(Peek().begin, "expected ')' to close '(' opened at column " + Column(open.begin));
    return Next();
  }

  Node Binary(const Token& op, Node left, Node right) {
    Node node;
    node.kind = Node::Kind::kBinary;
    node.text = op.text;
    node.op_position = op.begin;
    node.begin = left.begin;
    node.end = right.end;
    node.args.push_back(std::move(left));
    node.args.push_back(std::move(right));
    return node;
  }

  [[noreturn]] void FailExpectedTerm() {
    const Token& token = Peek();
    const Token* previous = position_ > 0 ? &tokens_[position_ - 1] : nullptr;
    const std::string after = previous ? " after '" + previous->text + "'" : "";
    if (previous && previous->kind == Token::Kind::kOperator &&
        (previous->text == "|" || previous->text == "||"))
      Fail(token.begin, "random term without a grouping factor after '" + previous->text + "'");
    if (token.kind == Token::Kind::kEnd) Fail(token.begin, "expected a term" + after);
    if (token.kind == Token::Kind::kOperator && token.text == "~")
      Fail(token.begin, "a formula has only one '~'");
    if (token.kind == Token::Kind::kClose) {
      if (previous && previous->kind == Token::Kind::kOpen) Fail(token.begin, "empty parentheses");
      Fail(token.begin, "expected a term" + after + " before ')'");
    }
    Fail(token.begin, "unexpected '" + token.text + "'" + (previous ? after : std::string()));
  }

  [[noreturn]] void FailUnexpected() {
    const Token& token = Peek();
    if (token.kind == Token::Kind::kClose) Fail(token.begin, "')' without a matching '('");
    if (token.kind == Token::Kind::kOperator && token.text == ",")
      Fail(token.begin, "',' outside a function call");
    if (token.kind == Token::Kind::kOperator && token.text == "=")
      Fail(token.begin, "'=' outside a function call");
    Fail(token.begin, "unexpected '" + token.text + "'; expected an operator");
  }

  [[noreturn]] void Fail(int position, const std::string& message) {
    ThrowFormulaError(text_, position, message);
  }

  std::string Column(int position) const {
    int column = 1;
    for (int i = 0; i < position; ++i) {
      if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++column;
    }
    return std::to_string(column);
  }

  const Token& Peek() const { return tokens_[position_]; }
  const Token& PeekAt(size_t ahead) const {
    return tokens_[std::min(position_ + ahead, tokens_.size() - 1)];
  }
  const Token& Next() {
    const Token& token = tokens_[position_];
    if (position_ + 1 < tokens_.size()) ++position_;
    return token;
  }
  bool IsOperator(std::string_view op) const {
    return Peek().kind == Token::Kind::kOperator && Peek().text == op;
  }

  // Bounds recursion (parentheses, calls, unary operators, powers) so no input exhausts the stack.
  class DepthGuard {
   public:
    DepthGuard(Parser* parser, int position) : parser_(parser) {
      if (++parser_->depth_ > kMaxDepth) parser_->Fail(position, "formula nested too deeply");
    }
    ~DepthGuard() { --parser_->depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    Parser* parser_;
  };

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t position_ = 0;
  int depth_ = 0;
};

}  // namespace

Node ParseSyntax(std::string_view text) { return Parser(text).ParseFormula(); }

}  // namespace lmm::formula
