#include "formula/random_terms.h"

#include <string>
#include <utility>

#include "formula/deparse.h"
#include "formula/formula_error.h"
#include "formula/term_algebra.h"
#include "formula/variables.h"

namespace lmm::formula {
namespace {

struct Group {
  std::vector<Variable> variables;
  std::string label;
};

struct Wrapper {
  const Node* call = nullptr;  // null for a plain (lhs | g)
  CovStructure structure = CovStructure::kUnstructured;
  bool homogeneous = false;
  bool hom_given = false;
};

[[noreturn]] void Fail(std::string_view text, int position, const std::string& message) {
  ThrowFormulaError(text, position, message);
}

// Throws at the first '|' or '||' inside `node`.
void RejectNestedBars(std::string_view text, const Node& node) {
  if (node.IsBar())
    Fail(text, node.op_position, "nested random term: '" + node.text + "' inside a random term");
  for (const Node& arg : node.args) RejectNestedBars(text, arg);
}

bool ParseLogical(const Node& node, bool& value) {
  const Node& n = StripParens(node);
  if (n.kind != Node::Kind::kName || n.backquoted) return false;
  if (n.text == "TRUE" || n.text == "T")
    value = true;
  else if (n.text == "FALSE" || n.text == "F")
    value = false;
  else
    return false;
  return true;
}

Wrapper ParseWrapper(std::string_view text, const Node& call) {
  Wrapper w;
  w.call = &call;
  const std::string& name = call.text;
  if (name == "us")
    w.structure = CovStructure::kUnstructured;
  else if (name == "diag")
    w.structure = CovStructure::kDiagonal;
  else if (name == "cs")
    w.structure = CovStructure::kCompoundSymmetry;
  else if (name == "I" || name == "factor" || name == "log" || name == "exp" || name == "sqrt")
    Fail(text, StripParens(call.args[0]).op_position,
         "a random term cannot be inside " + name + "()");
  else if (name == "ar1")
    Fail(text, call.begin,
         "ar1() covariance structures are not supported (supported: us, diag, cs)");
  else
    Fail(text, call.begin, "unknown covariance structure '" + name + "' (supported: us, diag, cs)");
  if (!call.arg_names[0].empty())
    Fail(text, call.args[0].begin,
         name + "() takes the random term (lhs | g) as its first argument");
  for (size_t i = 1; i < call.args.size(); ++i) {
    const Node& arg = call.args[i];
    if (call.arg_names[i] != "hom")
      Fail(text, arg.begin, "unexpected argument to " + name + "(): only hom = TRUE or FALSE");
    if (w.hom_given) Fail(text, arg.begin, "hom given twice");
    if (!ParseLogical(arg, w.homogeneous)) Fail(text, arg.begin, "hom must be TRUE or FALSE");
    w.hom_given = true;
  }
  if (w.structure == CovStructure::kUnstructured && w.homogeneous)
    Fail(text, call.begin,
         "us() is unstructured and has no homogeneous form; use diag(..., hom = TRUE) or "
         "cs(..., hom = TRUE)");
  return w;
}

Group SingleGroup(std::string_view text, const Node& node);

// The groups of a grouping expression, innermost first (lme4's expandSlash order).
std::vector<Group> Groups(std::string_view text, const Node& node) {
  const Node& n = StripParens(node);
  if (!n.IsBinary("/")) return {SingleGroup(text, n)};
  std::vector<Group> outer = Groups(text, n.args[0]);
  const Group inner_factor = SingleGroup(text, StripParens(n.args[1]));
  const Group& innermost = outer.front();
  Group nested;
  nested.variables = inner_factor.variables;
  nested.variables.insert(nested.variables.end(), innermost.variables.begin(),
                          innermost.variables.end());
  // deparse() of `:`(inner, `:`(b, a)) parenthesizes the right operand: "c:(b:a)".
  nested.label = inner_factor.label + ":" +
                 (innermost.variables.size() > 1 ? "(" + innermost.label + ")" : innermost.label);
  outer.insert(outer.begin(), std::move(nested));
  return outer;
}

// A grouping factor without '/': a column, factor(column), or an interaction of them.
Group SingleGroup(std::string_view text, const Node& node) {
  const Node& n = StripParens(node);
  if (n.IsBinary(":")) {
    Group left = SingleGroup(text, n.args[0]);
    Group right = SingleGroup(text, n.args[1]);
    left.variables.insert(left.variables.end(), right.variables.begin(), right.variables.end());
    left.label += ":" + (right.variables.size() > 1 ? "(" + right.label + ")" : right.label);
    return left;
  }
  if (n.IsBinary("/"))
    Fail(text, n.op_position,
         "'/' in a grouping factor can only nest a single factor on its right");
  const bool column_like =
      n.kind == Node::Kind::kName || (n.kind == Node::Kind::kCall && n.text == "factor");
  if (!column_like)
    Fail(text, n.kind == Node::Kind::kBinary ? n.op_position : n.begin,
         "a grouping factor must be a column, factor(column), or factors joined by ':' or '/'");
  Group g;
  g.variables.push_back(MakeVariable(text, n, "a grouping factor"));
  g.label = g.variables.back().label;
  return g;
}

}  // namespace

bool IsRandomTerm(const Node& node) {
  if (node.kind != Node::Kind::kParen && node.kind != Node::Kind::kCall) return false;
  const Node& n = StripParens(node);
  if (n.IsBar()) return node.kind == Node::Kind::kParen;
  return n.kind == Node::Kind::kCall && !n.args.empty() && StripParens(n.args[0]).IsBar();
}

void ExpandRandomTerm(std::string_view text, const Node& node, std::vector<RandomTerm>& out) {
  const Node& n = StripParens(node);
  Wrapper wrapper;
  const Node* bar = &n;
  if (n.kind == Node::Kind::kCall) {
    wrapper = ParseWrapper(text, n);
    bar = &StripParens(n.args[0]);
    if (bar->text == "||")
      Fail(text, bar->op_position,
           "'||' inside " + n.text + "(): write " + n.text +
               "(lhs | g); diag(lhs | g) gives uncorrelated effects");
  }
  const Node& lhs = bar->args[0];
  const Node& rhs = bar->args[1];
  RejectNestedBars(text, lhs);
  RejectNestedBars(text, rhs);

  TermAlgebra algebra(text, "a term");
  algebra.Apply(FlattenSum(lhs));
  const std::vector<Term> terms = algebra.Terms();
  if (!algebra.intercept() && terms.empty())
    Fail(text, lhs.begin,
         "random term without effects: its left-hand side removes the intercept and has no terms");
  const std::vector<Group> groups = Groups(text, rhs);
  const bool double_bar = bar->text == "||";

  const auto emit = [&](bool intercept, std::vector<Term> lhs_terms, const Group& group,
                        const std::string& lhs_text) {
    RandomTerm rt;
    rt.intercept = intercept;
    rt.terms = std::move(lhs_terms);
    rt.grouping = group.variables;
    rt.group_label = group.label;
    rt.structure = wrapper.structure;
    rt.homogeneous = wrapper.homogeneous;
    rt.position = node.begin;
    if (!double_bar && groups.size() == 1) {
      rt.text = std::string(
          text.substr(static_cast<size_t>(node.begin), static_cast<size_t>(node.end - node.begin)));
    } else {
      // An expanded term reads as lme4's findbars() prints it.
      rt.text = (wrapper.call ? wrapper.call->text : std::string()) + "(" + lhs_text + " | " +
                group.label + (wrapper.hom_given && wrapper.homogeneous ? ", hom = TRUE" : "") +
                ")";
    }
    out.push_back(std::move(rt));
  };

  if (!double_bar) {
    for (const Group& g : groups) emit(algebra.intercept(), terms, g, Deparse(lhs));
    return;
  }
  if (algebra.intercept()) {
    for (const Group& g : groups) emit(true, {}, g, "1");
  }
  for (const Term& t : terms) {
    for (const Group& g : groups) emit(false, {t}, g, "0 + " + t.Label());
  }
}

}  // namespace lmm::formula
