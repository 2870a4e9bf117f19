// R's model-formula algebra (Chambers & Hastie 1992, ch. 2; R's terms.formula): a formula's
// right-hand side (or a random term's left-hand side) becomes an intercept flag and a list of
// terms, each a set of variables.
//   a + b     union, in order of appearance, duplicates dropped
//   a - b     removes b's terms; "- 1" (or "+ 0", "0 +") drops the intercept, "+ 1" / "- 0" keeps
//   it a:b       every term of a with every term of b (a:a is a) a*b       a + b + a:b a/b       a
//   + (all variables of a):b        a %in% b   a:b (a+b)^n   (a+b)*(a+b)*... (n factors)
// Terms come out sorted by degree, stable in order of appearance; the variables of a term ordered
// by their first appearance in the expression (R: terms(y ~ a + b:a) gives "a", "a:b").
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "formula/syntax_tree.h"
#include "lmm/formula.h"

namespace lmm::formula {

// One summand of a sum: `node` added (sign +1) or removed (sign -1).
struct Summand {
  const Node* node = nullptr;
  int sign = 1;
};

// Splits a sum into its summands, left to right: a - b + (c + d) gives a, -b, (c + d). Unary
// minus and plus at the head of a summand fold into its sign.
std::vector<Summand> FlattenSum(const Node& node);

// Evaluates one part of a formula (the fixed effects, or one random term's left-hand side), with
// its own variable order and intercept flag (initially true, as in R).
class TermAlgebra {
 public:
  // The upper bound on the number of terms any expression may expand to.
  static constexpr size_t kMaxTerms = 4096;

  TermAlgebra(std::string_view text, std::string_view context);

  // Makes `variable` the next in variable order without adding a term. R's variable order starts
  // with the response: terms(y ~ x:y) labels its term "y:x".
  void Declare(Variable variable) { Intern(std::move(variable)); }

  // Applies the summands in order. Throws a formula error for anything that is not a term (random
  // terms included: the caller takes those out first).
  void Apply(const std::vector<Summand>& summands);

  bool intercept() const { return intercept_; }
  // The terms in R's order (by degree, then appearance).
  std::vector<Term> Terms() const;

 private:
  using TermSet = std::vector<int>;  // sorted indices into variables_

  std::vector<TermSet> EvalSum(const Node& node);
  std::vector<TermSet> Eval(const Node& node);
  std::vector<TermSet> Cross(const std::vector<TermSet>& a, const std::vector<TermSet>& b,
                             int position);
  int Intern(Variable variable);
  void Append(std::vector<TermSet>& to, const std::vector<TermSet>& terms, int position);
  [[noreturn]] void Fail(int position, const std::string& message) const;

  std::string_view text_;
  std::string_view context_;  // "a fixed-effects term", "a random-effects term"
  bool intercept_ = true;
  std::vector<TermSet> terms_;
  std::vector<Variable> variables_;  // in order of first appearance
};

}  // namespace lmm::formula
