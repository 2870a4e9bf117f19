// lme4 model formulas: `response ~ fixed terms + (random | group) ...` parsed into terms.
// Knows nothing about data: whether a plain column is numeric or categorical is decided by the design.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lmm {

// A numeric expression inside I(...): numbers, columns, + - * / ^, unary minus, log/exp/sqrt.
struct Expr {
  enum class Op { kNumber, kColumn, kNeg, kAdd, kSub, kMul, kDiv, kPow, kLog, kExp, kSqrt };
  Op op = Op::kNumber;
  double number = 0;        // kNumber
  std::string column;       // kColumn
  std::vector<Expr> args;   // operands (1 for kNeg/kLog/kExp/kSqrt, 2 for binary operators)
};

// One factor of a model term.
struct Variable {
  enum class Kind {
    kColumn,  // a data column, numeric or categorical as the data says
    kFactor,  // factor(col): always categorical, levels ordered numerically for numbers
    kExpr,    // I(expr): numeric
  };
  Kind kind = Kind::kColumn;
  std::string label;   // as R's model.matrix names it: "Days", "factor(drug)", "I(Days^2)"
  std::string column;  // kColumn, kFactor: the column's name
  Expr expr;           // kExpr
  int position = 0;    // 0-based byte offset of the variable in the formula text
};

// An interaction of variables (a main effect has one). Variables keep the order written.
struct Term {
  std::vector<Variable> variables;
  std::string Label() const;  // "a", "a:b"
};

// Random-effect covariance structure of one term (lme4 >= 2.0 wrappers; Stata covariance()).
enum class CovStructure {
  kUnstructured,        // (x | g), us(x | g)
  kDiagonal,            // diag(x | g); with homogeneous = true: Stata's identity
  kCompoundSymmetry,    // cs(x | g); with homogeneous = true: Stata's exchangeable
};

struct RandomTerm {
  bool intercept = true;         // the left-hand side includes the intercept
  std::vector<Term> terms;       // left-hand side terms other than the intercept, R's order
  std::vector<Variable> grouping;  // variables of the grouping factor (g1:g2 has two)
  std::string group_label;       // as lme4 names the group: "Subject", "cask:batch"
  CovStructure structure = CovStructure::kUnstructured;
  bool homogeneous = false;      // one common variance (hom = TRUE)
  int position = 0;              // 0-based offset of the term in the formula text
  // The term as written, e.g. "(Days | Subject)"; a term expanded from `||` or `/` reads as lme4's
  // findbars() prints it: "(0 + Days | Subject)", "(1 | cask:batch)".
  std::string text;
};

struct Formula {
  std::string text;
  Variable response;
  bool intercept = true;          // fixed-effects intercept
  std::vector<Term> fixed;        // R's terms() order: by degree, then order of appearance
  // In order written, after expanding `||` and `/` as lme4 1.1's findbars() does:
  // (1 + x || g) -> (1 | g), (0 + x | g);  (1 | g1/g2) -> (1 | g2:g1), (1 | g1).
  std::vector<RandomTerm> random;

  // Every data column the formula reads, each once, in order of first appearance.
  std::vector<std::string> Columns() const;
};

// Parses an lme4 formula. Throws lmm::Error(kUsage) whose message shows the formula with a caret
// under the offending position (1-based column, in characters), e.g.
//   formula error at column 15: expected ')' to close '(' opened at column 9
//     y ~ x + (1 | g
//                   ^
Formula ParseFormula(std::string_view text);

}  // namespace lmm
