#include "formula/term_algebra.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <utility>

#include "formula/deparse.h"
#include "formula/formula_error.h"
#include "formula/variables.h"

namespace lmm::formula {
namespace {

void Flatten(const Node& node, int sign, std::vector<Summand>& out) {
  if (node.IsBinary("+") || node.IsBinary("-")) {
    Flatten(node.args[0], sign, out);
    Flatten(node.args[1], node.text == "-" ? -sign : sign, out);
  } else if (node.kind == Node::Kind::kUnary) {
    Flatten(node.args[0], node.text == "-" ? -sign : sign, out);
  } else {
    out.push_back({&node, sign});
  }
}

// Products of more term pairs than this are refused before they are formed.
constexpr size_t kMaxPairs = TermAlgebra::kMaxTerms * 64;

}  // namespace

std::vector<Summand> FlattenSum(const Node& node) {
  std::vector<Summand> out;
  Flatten(node, 1, out);
  return out;
}

TermAlgebra::TermAlgebra(std::string_view text, std::string_view context)
    : text_(text), context_(context) {}

void TermAlgebra::Apply(const std::vector<Summand>& summands) {
  for (const Summand& s : summands) {
    const Node& node = *s.node;
    if (node.kind == Node::Kind::kNumber) {
      if (node.number != 0 && node.number != 1)
        Fail(node.begin,
             "the number " + node.text + " cannot be a term (only 0 and 1 set the intercept)");
      intercept_ = (node.number == 1) == (s.sign > 0);
      continue;
    }
    std::vector<TermSet> terms = Eval(node);
    if (s.sign > 0) {
      Append(terms_, terms, node.begin);
    } else {
      const std::set<TermSet> removed(terms.begin(), terms.end());
      std::erase_if(terms_, [&](const TermSet& t) { return removed.count(t) > 0; });
    }
  }
}

std::vector<TermAlgebra::TermSet> TermAlgebra::EvalSum(const Node& node) {
  TermAlgebra inner(text_, context_);
  inner.variables_ = std::move(variables_);
  inner.intercept_ = intercept_;
  inner.Apply(FlattenSum(node));
  variables_ = std::move(inner.variables_);
  intercept_ = inner.intercept_;
  return std::move(inner.terms_);
}

std::vector<TermAlgebra::TermSet> TermAlgebra::Eval(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kName:
    case Node::Kind::kCall:
      return {{Intern(MakeVariable(text_, node, context_))}};
    case Node::Kind::kParen: {
      const Node& inner = StripParens(node);
      if (inner.IsBar())
        Fail(inner.op_position,
             "a random term must be added to the formula's terms, not used inside another "
             "expression");
      return EvalSum(inner);
    }
    case Node::Kind::kNumber:
      if (node.number == 0 || node.number == 1)
        Fail(node.begin, "the intercept (" + node.text + ") cannot be part of an interaction");
      Fail(node.begin, "the number " + node.text + " cannot be a term");
    case Node::Kind::kUnary:
      Fail(node.op_position, "unary '" + node.text + "' can only add or remove terms of a sum");
    case Node::Kind::kBinary:
      break;
  }
  const std::string& op = node.text;
  if (op == "+" || op == "-") return EvalSum(node);
  if (node.IsBar() || op == "~") return {{Intern(MakeVariable(text_, node, context_))}};
  if (op == "^") {
    const Node& power = StripParens(node.args[1]);
    if (power.kind != Node::Kind::kNumber || power.number < 1 ||
        power.number != std::floor(power.number))
      Fail(node.args[1].begin, "the power in (terms)^n must be a whole number >= 1");
    const std::vector<TermSet> base = Eval(node.args[0]);
    std::vector<TermSet> result = base;
    for (double k = 2; k <= power.number; ++k) {
      std::vector<TermSet> next = result;
      Append(next, Cross(result, base, node.op_position), node.op_position);
      if (next.size() == result.size()) break;
      result = std::move(next);
    }
    return result;
  }
  std::vector<TermSet> left = Eval(node.args[0]);
  std::vector<TermSet> right = Eval(node.args[1]);
  if (op == ":" || op == "%in%") return Cross(left, right, node.op_position);
  if (op == "*") {
    std::vector<TermSet> result = left;
    Append(result, right, node.op_position);
    Append(result, Cross(left, right, node.op_position), node.op_position);
    return result;
  }
  // op == "/": a/b is a + (all variables of a):b.
  TermSet all;
  for (const TermSet& t : left) {
    TermSet merged;
    std::set_union(all.begin(), all.end(), t.begin(), t.end(), std::back_inserter(merged));
    all = std::move(merged);
  }
  std::vector<TermSet> result = left;
  Append(result, Cross({all}, right, node.op_position), node.op_position);
  return result;
}

std::vector<TermAlgebra::TermSet> TermAlgebra::Cross(const std::vector<TermSet>& a,
                                                     const std::vector<TermSet>& b, int position) {
  if (!a.empty() && b.size() > kMaxPairs / a.size())
    Fail(position, "the formula expands to too many terms");
  std::vector<TermSet> products;
  for (const TermSet& x : a) {
    for (const TermSet& y : b) {
      TermSet merged;
      std::set_union(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(merged));
      products.push_back(std::move(merged));
    }
  }
  std::vector<TermSet> result;
  Append(result, products, position);
  return result;
}

void TermAlgebra::Append(std::vector<TermSet>& to, const std::vector<TermSet>& terms,
                         int position) {
  std::set<TermSet> seen(to.begin(), to.end());
  for (const TermSet& t : terms) {
    if (t.empty() || !seen.insert(t).second) continue;
    to.push_back(t);
    if (to.size() > kMaxTerms) Fail(position, "the formula expands to too many terms");
  }
}

int TermAlgebra::Intern(Variable variable) {
  for (size_t i = 0; i < variables_.size(); ++i) {
    if (variables_[i].label == variable.label) return static_cast<int>(i);
  }
  variables_.push_back(std::move(variable));
  return static_cast<int>(variables_.size()) - 1;
}

std::vector<Term> TermAlgebra::Terms() const {
  std::vector<const TermSet*> order;
  for (const TermSet& t : terms_) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(),
                   [](const TermSet* a, const TermSet* b) { return a->size() < b->size(); });
  std::vector<Term> terms;
  for (const TermSet* t : order) {
    Term term;
    for (int index : *t) term.variables.push_back(variables_[static_cast<size_t>(index)]);
    terms.push_back(std::move(term));
  }
  return terms;
}

void TermAlgebra::Fail(int position, const std::string& message) const {
  ThrowFormulaError(text_, position, message);
}

}  // namespace lmm::formula
