// Random-effects terms: (lhs | g), (lhs || g), grouping factors g1:g2 and g1/g2, and the lme4
// >= 2.0 covariance wrappers us(), diag(), cs().
//
// Expansion follows lme4 1.1-31's findbars(): `||` first (expandDoubleVerts), then `/`
// (expandSlash), each result in order:
//   (1 + x || g)    ->  (1 | g) + (0 + x | g)          one term per left-hand-side term
//   (lhs | g1/g2)   ->  (lhs | g2:g1) + (lhs | g1)      groups "g2:g1", "g1"
//   (lhs | a/b/c)   ->  groups "c:(b:a)", "b:a", "a"   (lme4 deparses the nested call this way)
//   (x || g/h)      ->  (1 | h:g) + (1 | g) + (0 + x | h:g) + (0 + x | g)
// Duplicate group names are kept; the design module numbers them as VarCorr does.
//
// Covariance wrappers (lme4 >= 2.0, vignette "covariance_structures", ?Covariance-class):
// us(lhs | g) unstructured (the same as (lhs | g)), diag(lhs | g) diagonal, cs(lhs | g) compound
// symmetry, each optionally with `hom = TRUE/FALSE` (or T/F). The vignette states the defaults:
// diag and cs are heterogeneous (hom = FALSE) unless asked; ar1 defaults to homogeneous but is not
// supported here (an error). us() has no homogeneous form, so us(..., hom = TRUE) is an error.
// A wrapper applies to every term its `/` expands to. `||` inside a wrapper is an error: with
// lme4 1.1's meaning it would split the term into several, each with its own structure; diag(lhs |
// g) is the uncorrelated form (and, unlike `||`, is diagonal for factor columns too).
#pragma once

#include <string_view>
#include <vector>

#include "formula/syntax_tree.h"
#include "lmm/formula.h"

namespace lmm::formula {

// True if the right-hand-side summand `node` is a random term: a parenthesized bar, or a call
// whose first argument is one (a covariance wrapper, known or not).
bool IsRandomTerm(const Node& node);

// Appends the random terms `node` (for which IsRandomTerm holds) expands to. Throws formula errors
// for unknown or unsupported wrappers, bad wrapper arguments, nested random terms, left-hand sides
// without effects and grouping factors that are not columns, factor(column), ':' or '/'.
void ExpandRandomTerm(std::string_view text, const Node& node, std::vector<RandomTerm>& out);

}  // namespace lmm::formula
