// ParseFormula: syntax tree -> response, fixed-effects terms (R's terms()) and random terms
// (lme4's findbars()).
#include "lmm/formula.h"

#include <algorithm>
#include <string>
#include <utility>

#include "formula/formula_error.h"
#include "formula/parser.h"
#include "formula/random_terms.h"
#include "formula/term_algebra.h"
#include "formula/variables.h"

namespace lmm {
namespace {

// The response: a column, I(expr) or log/exp/sqrt(expr).
Variable MakeResponse(std::string_view text, const formula::Node& node) {
  using formula::Node;
  if (node.kind == Node::Kind::kCall && node.text == "factor")
    formula::ThrowFormulaError(text, node.begin, "the response cannot be factor(): it is numeric");
  const bool allowed =
      node.kind == Node::Kind::kName ||
      (node.kind == Node::Kind::kCall &&
       (node.text == "I" || node.text == "log" || node.text == "exp" || node.text == "sqrt"));
  if (!allowed)
    formula::ThrowFormulaError(
        text, node.kind == Node::Kind::kBinary ? node.op_position : node.begin,
        "the response must be a column, I(expression) or log/exp/sqrt(expression)");
  Variable response = formula::MakeVariable(text, node, "the response");
  std::vector<std::string> columns;
  formula::AppendColumns(response, columns);
  if (columns.empty())
    formula::ThrowFormulaError(text, node.begin, "the response must use a data column");
  return response;
}

}  // namespace

Formula ParseFormula(std::string_view text) {
  const formula::Node tree = formula::ParseSyntax(text);
  Formula result;
  result.text = std::string(text);
  result.response = MakeResponse(text, tree.args[0]);

  std::vector<formula::Summand> fixed;
  for (const formula::Summand& s : formula::FlattenSum(tree.args[1])) {
    if (!formula::IsRandomTerm(*s.node)) {
      fixed.push_back(s);
      continue;
    }
    if (s.sign < 0)
      formula::ThrowFormulaError(text, s.node->begin, "a random term cannot be removed with '-'");
    formula::ExpandRandomTerm(text, *s.node, result.random);
  }
  formula::TermAlgebra algebra(text, "a term");
  algebra.Declare(result.response);
  algebra.Apply(fixed);
  result.intercept = algebra.intercept();
  result.fixed = algebra.Terms();
  // R's model.matrix drops the response from the right-hand side with a warning; a fit of y on
  // itself is never meant, so it is refused where it is written.
  // (Variables are interned: the term's variable is the response's, so its place is looked up.)
  for (const Term& term : result.fixed)
    if (term.variables.size() == 1 && term.variables[0].label == result.response.label) {
      const size_t at = text.find(result.response.label, static_cast<size_t>(tree.op_position) + 1);
      formula::ThrowFormulaError(
          text, at == std::string_view::npos ? tree.args[1].begin : static_cast<int>(at),
          "the response '" + result.response.label +
              "' is also a fixed-effect term; remove it from the right-hand "
              "side (R drops it with a warning)");
    }
  return result;
}

std::string Term::Label() const {
  std::string label;
  for (const Variable& v : variables) {
    if (!label.empty()) label += ':';
    label += v.label;
  }
  return label;
}

std::vector<std::string> Formula::Columns() const {
  // Each variable's columns, keyed by where the variable is written; within a variable the columns
  // are already in written order.
  std::vector<std::pair<int, std::vector<std::string>>> found;
  const auto add = [&found](const Variable& v) {
    std::vector<std::string> columns;
    formula::AppendColumns(v, columns);
    found.emplace_back(v.position, std::move(columns));
  };
  add(response);
  for (const Term& t : fixed) {
    for (const Variable& v : t.variables) add(v);
  }
  for (const RandomTerm& r : random) {
    for (const Term& t : r.terms) {
      for (const Variable& v : t.variables) add(v);
    }
    for (const Variable& v : r.grouping) add(v);
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> columns;
  for (const auto& [position, names] : found) {
    for (const std::string& name : names) {
      if (std::find(columns.begin(), columns.end(), name) == columns.end()) columns.push_back(name);
    }
  }
  return columns;
}

}  // namespace lmm
