#include "formula/variables.h"

#include <string>
#include <utility>

#include "formula/deparse.h"
#include "formula/formula_error.h"

namespace lmm::formula {
namespace {

bool IsMathFunction(std::string_view name) {
  return name == "log" || name == "exp" || name == "sqrt";
}

bool IsCovarianceWrapper(std::string_view name) {
  return name == "us" || name == "diag" || name == "cs" || name == "ar1";
}

// Checks that `name` may be a column name as written (not '.', not an unquoted reserved word).
void CheckColumnName(std::string_view text, const Node& name) {
  if (name.backquoted) return;
  if (name.text == ".")
    ThrowFormulaError(text, name.begin,
                      "'.' (all other columns) is not supported; list the columns");
  if (IsReservedWord(name.text))
    ThrowFormulaError(text, name.begin,
                      "'" + name.text + "' is a reserved word; write `" + name.text +
                          "` for a column of that name");
}

// Throws unless `call` has exactly one unnamed argument.
void CheckOneArgument(std::string_view text, const Node& call) {
  if (call.args.size() != 1 || !call.arg_names[0].empty())
    ThrowFormulaError(text, call.begin, call.text + "() takes exactly one argument");
}

Expr Unary(Expr::Op op, Expr operand) {
  Expr e;
  e.op = op;
  e.args.push_back(std::move(operand));
  return e;
}

Expr::Op MathOp(std::string_view name) {
  if (name == "log") return Expr::Op::kLog;
  if (name == "exp") return Expr::Op::kExp;
  return Expr::Op::kSqrt;
}

void AppendExprColumns(const Expr& expr, std::vector<std::string>& columns) {
  if (expr.op == Expr::Op::kColumn) columns.push_back(expr.column);
  for (const Expr& arg : expr.args) AppendExprColumns(arg, columns);
}

}  // namespace

Expr MakeExpr(std::string_view text, const Node& node) {
  switch (node.kind) {
    case Node::Kind::kNumber: {
      Expr e;
      e.op = Expr::Op::kNumber;
      e.number = node.number;
      return e;
    }
    case Node::Kind::kName: {
      CheckColumnName(text, node);
      Expr e;
      e.op = Expr::Op::kColumn;
      e.column = node.text;
      return e;
    }
    case Node::Kind::kParen:
      return MakeExpr(text, node.args[0]);
    case Node::Kind::kUnary:
      if (node.text == "+") return MakeExpr(text, node.args[0]);
      return Unary(Expr::Op::kNeg, MakeExpr(text, node.args[0]));
    case Node::Kind::kCall:
      if (node.text == "factor")
        ThrowFormulaError(text, node.begin, "factor() cannot be used inside I()");
      if (node.text == "I") {
        CheckOneArgument(text, node);
        return MakeExpr(text, node.args[0]);
      }
      if (IsMathFunction(node.text)) {
        CheckOneArgument(text, node);
        return Unary(MathOp(node.text), MakeExpr(text, node.args[0]));
      }
      ThrowFormulaError(
          text, node.begin,
          "unknown function '" + node.text + "' inside I() (allowed: log, exp, sqrt)");
    case Node::Kind::kBinary: {
      Expr e;
      if (node.text == "+")
        e.op = Expr::Op::kAdd;
      else if (node.text == "-")
        e.op = Expr::Op::kSub;
      else if (node.text == "*")
        e.op = Expr::Op::kMul;
      else if (node.text == "/")
        e.op = Expr::Op::kDiv;
      else if (node.text == "^")
        e.op = Expr::Op::kPow;
      else if (node.IsBar())
        ThrowFormulaError(text, node.op_position, "a random term cannot be inside I()");
      else
        ThrowFormulaError(text, node.op_position,
                          "'" + node.text + "' is not supported inside I() (allowed: + - * / ^)");
      e.args.push_back(MakeExpr(text, node.args[0]));
      e.args.push_back(MakeExpr(text, node.args[1]));
      return e;
    }
  }
  ThrowFormulaError(text, node.begin, "unexpected expression");
}

Variable MakeVariable(std::string_view text, const Node& node, std::string_view context) {
  Variable v;
  v.position = node.begin;
  if (node.kind == Node::Kind::kName) {
    CheckColumnName(text, node);
    v.kind = Variable::Kind::kColumn;
    v.column = node.text;
    v.label = DeparseName(node.text);
    return v;
  }
  if (node.kind == Node::Kind::kCall) {
    if (node.text == "factor") {
      CheckOneArgument(text, node);
      const Node& arg = node.args[0];
      if (arg.kind != Node::Kind::kName)
        ThrowFormulaError(text, arg.begin, "factor() takes a column name");
      CheckColumnName(text, arg);
      v.kind = Variable::Kind::kFactor;
      v.column = arg.text;
      v.label = "factor(" + DeparseName(arg.text) + ")";
      return v;
    }
    if (node.text == "I" || IsMathFunction(node.text)) {
      CheckOneArgument(text, node);
      v.kind = Variable::Kind::kExpr;
      v.expr = node.text == "I" ? MakeExpr(text, node.args[0]) : MakeExpr(text, node);
      v.label = Deparse(node);
      return v;
    }
    if (IsCovarianceWrapper(node.text))
      ThrowFormulaError(text, node.begin,
                        node.text +
                            "() marks a random term; add it to the formula's terms, "
                            "as in y ~ x + " +
                            node.text + "(x | g)");
    ThrowFormulaError(text, node.begin,
                      "unknown function '" + node.text +
                          "' (allowed: factor, I, log, exp, sqrt; covariance structures us, diag, "
                          "cs)");
  }
  if (node.kind == Node::Kind::kNumber)
    ThrowFormulaError(text, node.begin,
                      "the number " + node.text + " cannot be " + std::string(context));
  if (node.IsBar())
    ThrowFormulaError(text, node.op_position,
                      "'" + node.text + "' outside parentheses: write random terms as (x | g)");
  const int at = node.kind == Node::Kind::kBinary || node.kind == Node::Kind::kUnary
                     ? node.op_position
                     : node.begin;
  ThrowFormulaError(text, at, "'" + Deparse(node) + "' cannot be " + std::string(context));
}

void AppendColumns(const Variable& variable, std::vector<std::string>& columns) {
  if (variable.kind == Variable::Kind::kExpr) {
    AppendExprColumns(variable.expr, columns);
  } else {
    columns.push_back(variable.column);
  }
}

}  // namespace lmm::formula
