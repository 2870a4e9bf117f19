// What ParseFormula fills in beyond labels: variable kinds, expression trees, positions,
// random-term structure, grouping variables, the term text, and Formula::Columns().
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lmm/formula.h"

namespace lmm {
namespace {

TEST(FormulaStructure, VariableKindsAndColumns) {
  const Formula f = ParseFormula("y ~ x + factor(g) + I(x^2) + log(z)");
  EXPECT_EQ(f.text, "y ~ x + factor(g) + I(x^2) + log(z)");
  EXPECT_EQ(f.response.kind, Variable::Kind::kColumn);
  EXPECT_EQ(f.response.column, "y");
  ASSERT_EQ(f.fixed.size(), 4u);
  const Variable& x = f.fixed[0].variables[0];
  EXPECT_EQ(x.kind, Variable::Kind::kColumn);
  EXPECT_EQ(x.column, "x");
  EXPECT_EQ(x.position, 4);
  const Variable& g = f.fixed[1].variables[0];
  EXPECT_EQ(g.kind, Variable::Kind::kFactor);
  EXPECT_EQ(g.column, "g");
  EXPECT_EQ(g.label, "factor(g)");
  EXPECT_EQ(g.position, 8);
  const Variable& sq = f.fixed[2].variables[0];
  EXPECT_EQ(sq.kind, Variable::Kind::kExpr);
  EXPECT_EQ(sq.expr.op, Expr::Op::kPow);
  ASSERT_EQ(sq.expr.args.size(), 2u);
  EXPECT_EQ(sq.expr.args[0].op, Expr::Op::kColumn);
  EXPECT_EQ(sq.expr.args[0].column, "x");
  EXPECT_EQ(sq.expr.args[1].op, Expr::Op::kNumber);
  EXPECT_EQ(sq.expr.args[1].number, 2.0);
  const Variable& lz = f.fixed[3].variables[0];
  EXPECT_EQ(lz.kind, Variable::Kind::kExpr);
  EXPECT_EQ(lz.label, "log(z)");
  EXPECT_EQ(lz.expr.op, Expr::Op::kLog);
  EXPECT_EQ(lz.expr.args[0].column, "z");
}

TEST(FormulaStructure, ExpressionTreeFollowsPrecedence) {
  // -x^2 / (1 + exp(z)) - 3 is ((-(x^2)) / (1 + exp(z))) - 3; parentheses and unary plus vanish.
  const Formula f = ParseFormula("I(+y) ~ I(-x^2/(1 + exp(z)) - 3)");
  EXPECT_EQ(f.response.kind, Variable::Kind::kExpr);
  EXPECT_EQ(f.response.label, "I(+y)");
  EXPECT_EQ(f.response.expr.op, Expr::Op::kColumn);
  const Expr& e = f.fixed[0].variables[0].expr;
  ASSERT_EQ(e.op, Expr::Op::kSub);
  EXPECT_EQ(e.args[1].number, 3.0);
  const Expr& div = e.args[0];
  ASSERT_EQ(div.op, Expr::Op::kDiv);
  ASSERT_EQ(div.args[0].op, Expr::Op::kNeg);
  EXPECT_EQ(div.args[0].args[0].op, Expr::Op::kPow);
  ASSERT_EQ(div.args[1].op, Expr::Op::kAdd);
  EXPECT_EQ(div.args[1].args[1].op, Expr::Op::kExp);
  EXPECT_EQ(div.args[1].args[1].args[0].column, "z");
  // Right-associative power: 2^3^2 is 2^(3^2).
  const Formula power = ParseFormula("y ~ I(2^3^2)");
  const Expr& p = power.fixed[0].variables[0].expr;
  ASSERT_EQ(p.op, Expr::Op::kPow);
  EXPECT_EQ(p.args[0].number, 2.0);
  EXPECT_EQ(p.args[1].op, Expr::Op::kPow);
}

TEST(FormulaStructure, InteractionVariablesKeepFirstAppearanceOrder) {
  const Formula f = ParseFormula("y ~ b + a:b + factor(g):I(x + 1)");
  ASSERT_EQ(f.fixed.size(), 3u);
  EXPECT_EQ(f.fixed[1].Label(), "b:a");
  EXPECT_EQ(f.fixed[1].variables[0].column, "b");
  EXPECT_EQ(f.fixed[2].Label(), "factor(g):I(x + 1)");
  EXPECT_EQ(f.fixed[2].variables.size(), 2u);
}

TEST(FormulaStructure, RandomTermFields) {
  const std::string text = "Reaction ~ Days + (1 + Days | Subject)";
  const Formula f = ParseFormula(text);
  ASSERT_EQ(f.random.size(), 1u);
  const RandomTerm& r = f.random[0];
  EXPECT_TRUE(r.intercept);
  ASSERT_EQ(r.terms.size(), 1u);
  EXPECT_EQ(r.terms[0].Label(), "Days");
  ASSERT_EQ(r.grouping.size(), 1u);
  EXPECT_EQ(r.grouping[0].column, "Subject");
  EXPECT_EQ(r.group_label, "Subject");
  EXPECT_EQ(r.structure, CovStructure::kUnstructured);
  EXPECT_FALSE(r.homogeneous);
  EXPECT_EQ(r.position, 18);
  EXPECT_EQ(r.text, "(1 + Days | Subject)");
}

TEST(FormulaStructure, DoubleBarExpandsIntoUncorrelatedTerms) {
  const Formula f = ParseFormula("Reaction ~ Days + (Days || Subject)");
  ASSERT_EQ(f.random.size(), 2u);
  EXPECT_TRUE(f.random[0].intercept);
  EXPECT_TRUE(f.random[0].terms.empty());
  EXPECT_EQ(f.random[0].text, "(1 | Subject)");
  EXPECT_FALSE(f.random[1].intercept);
  ASSERT_EQ(f.random[1].terms.size(), 1u);
  EXPECT_EQ(f.random[1].text, "(0 + Days | Subject)");
  // Both keep the written group name; the design module numbers duplicates (Subject, Subject.1).
  EXPECT_EQ(f.random[0].group_label, "Subject");
  EXPECT_EQ(f.random[1].group_label, "Subject");
  EXPECT_EQ(f.random[0].position, f.random[1].position);
  // Intercept only: one term (lme4 1.1-31 itself fails on this formula).
  const Formula g = ParseFormula("y ~ (1 || g)");
  ASSERT_EQ(g.random.size(), 1u);
  EXPECT_TRUE(g.random[0].intercept);
  EXPECT_TRUE(g.random[0].terms.empty());
}

TEST(FormulaStructure, NestedGroupingVariables) {
  const Formula f = ParseFormula("strength ~ 1 + (1 | batch/cask)");
  ASSERT_EQ(f.random.size(), 2u);
  EXPECT_EQ(f.random[0].group_label, "cask:batch");
  ASSERT_EQ(f.random[0].grouping.size(), 2u);
  EXPECT_EQ(f.random[0].grouping[0].column, "cask");
  EXPECT_EQ(f.random[0].grouping[1].column, "batch");
  EXPECT_EQ(f.random[0].text, "(1 | cask:batch)");
  EXPECT_EQ(f.random[1].group_label, "batch");
  EXPECT_EQ(f.random[1].grouping.size(), 1u);
  EXPECT_EQ(f.random[1].text, "(1 | batch)");
  const Formula g = ParseFormula("y ~ (1 | a:factor(b))");
  EXPECT_EQ(g.random[0].group_label, "a:factor(b)");
  EXPECT_EQ(g.random[0].grouping[1].kind, Variable::Kind::kFactor);
  EXPECT_EQ(g.random[0].text, "(1 | a:factor(b))");
}

TEST(FormulaStructure, CovarianceWrappers) {
  const Formula f = ParseFormula(
      "y ~ x + us(x | a) + diag(1 + x | b) + cs(x | c, hom = TRUE) + diag(x | d, hom = F) + "
      "(us(x | e)) + cs(x | f, hom = FALSE) + us(x | g, hom = FALSE)");
  ASSERT_EQ(f.random.size(), 7u);
  EXPECT_EQ(f.random[0].structure, CovStructure::kUnstructured);
  EXPECT_EQ(f.random[1].structure, CovStructure::kDiagonal);
  EXPECT_FALSE(f.random[1].homogeneous);  // heterogeneous unless hom = TRUE (lme4's default)
  EXPECT_EQ(f.random[2].structure, CovStructure::kCompoundSymmetry);
  EXPECT_TRUE(f.random[2].homogeneous);
  EXPECT_EQ(f.random[3].structure, CovStructure::kDiagonal);
  EXPECT_FALSE(f.random[3].homogeneous);
  EXPECT_EQ(f.random[4].structure, CovStructure::kUnstructured);
  EXPECT_EQ(f.random[5].structure, CovStructure::kCompoundSymmetry);
  EXPECT_FALSE(f.random[5].homogeneous);
  EXPECT_FALSE(f.random[6].homogeneous);
  EXPECT_EQ(f.random[2].text, "cs(x | c, hom = TRUE)");
  EXPECT_EQ(f.random[2].group_label, "c");
  ASSERT_EQ(f.fixed.size(), 1u);
  EXPECT_EQ(f.fixed[0].Label(), "x");
}

TEST(FormulaStructure, WrapperAppliesToEveryNestedTerm) {
  const Formula f = ParseFormula("y ~ diag(x | a/b, hom = TRUE)");
  ASSERT_EQ(f.random.size(), 2u);
  for (const RandomTerm& r : f.random) {
    EXPECT_EQ(r.structure, CovStructure::kDiagonal);
    EXPECT_TRUE(r.homogeneous);
  }
  EXPECT_EQ(f.random[0].text, "diag(x | b:a, hom = TRUE)");
  EXPECT_EQ(f.random[1].text, "diag(x | a, hom = TRUE)");
}

TEST(FormulaStructure, ColumnsInOrderOfFirstAppearance) {
  EXPECT_EQ(ParseFormula("Reaction ~ Days + (Days | Subject)").Columns(),
            (std::vector<std::string>{"Reaction", "Days", "Subject"}));
  // Terms are reordered by degree and nested groups expand innermost first; columns are not.
  EXPECT_EQ(ParseFormula("log(y) ~ a:b + c + I(d/e) + (f || g/h) + factor(a)").Columns(),
            (std::vector<std::string>{"y", "a", "b", "c", "d", "e", "f", "g", "h"}));
  EXPECT_EQ(ParseFormula("y ~ 1 + (1 | batch/cask)").Columns(),
            (std::vector<std::string>{"y", "batch", "cask"}));
  // A removed term's columns are not read.
  EXPECT_EQ(ParseFormula("y ~ a*b - a:b - b").Columns(), (std::vector<std::string>{"y", "a"}));
  EXPECT_EQ(ParseFormula("I(y - x) ~ 1").Columns(), (std::vector<std::string>{"y", "x"}));
}

TEST(FormulaStructure, WhitespaceIsInsignificant) {
  const Formula a = ParseFormula("y~x*z+(1+x|g)");
  const Formula b = ParseFormula("  y ~\n\tx * z +\r\n ( 1 + x | g )  ");
  ASSERT_EQ(a.fixed.size(), b.fixed.size());
  for (size_t i = 0; i < a.fixed.size(); ++i) EXPECT_EQ(a.fixed[i].Label(), b.fixed[i].Label());
  EXPECT_EQ(b.random[0].text, "( 1 + x | g )");
}

}  // namespace
}  // namespace lmm
