// Type III hypotheses for the fixed terms, as lmerTest 3.1's anova(type = 3) builds them
// (get_contrasts_type3 -> extract_contrasts_type3), so that they do not depend on how the
// factors are coded:
//  1. rdX: the over-parameterised design, an intercept and, per term, model.matrix(~ 0 + term):
//     the term's numeric variables times the indicators of every level combination of its factors.
//     Each of its columns is a combination of the columns of X: rdX = X B. B' (rows: rdX columns,
//     columns: X columns) is lmerTest's L = t(ginv(X) rdX).
//  2. For the terms in decreasing order, the columns of L that belong to a term contained in others
//     (lmerTest's containment: its variables a proper subset of theirs, with the same numeric
//     variables, where a term's variables are those R's terms() codes 1 in its "factors" matrix:
//     the ones whose margin is in the formula; a factor coded by indicators, as A in the A:B of
//     y ~ A + A:B, does not count) are replaced by their residuals after least squares on the
//     columns of the containing terms (lm.fit over the rows of L); each result is zapsmall()ed.
//  3. The hypothesis of a term has one row per X column j of the term, holding column j of L at the
//     rows of rdX that are columns of X (same name), in X's column order; rows with
//     sum |.| <= 1e-8 are dropped.
// A term contained in no other term gets the identity rows on its own coefficients. A model with a
// single term gets lmerTest's Type I rows instead (the term's rows of t(doolittle(X'X)$L)), as
// get_contrasts_type3 does.
// B is derived here from the coding rules (treatment contrasts; R's model.matrix rule for which
// factors of a term are coded by contrasts, as design/term_columns.h), not from the data: with
// every level combination present, ginv(X) rdX is exactly that B.
#pragma once

#include <Eigen/Dense>
#include <optional>
#include <string>
#include <vector>

#include "lmm/model_frame.h"

namespace lmm::inference::ddf {

struct TermHypothesis {
  std::string term;   // the term label, as ModelFrame::fixed_term_labels
  Eigen::MatrixXd l;  // rows x p
};

// One hypothesis per fixed term, in formula (R terms()) order; a term whose columns are all aliased
// gets none (zero rows), as lmerTest reports NA for it. Aliased columns that are empty cells of an
// interaction of factors are allowed: where they are all zero in the data, B of the coding rules
// with them left out still gives rdX = X B; where not (empty cells of a three-way interaction drop
// columns that have rows), L is lmerTest's least squares on the data, with rdX rebuilt from X's
// main-effect columns. nullopt where the construction does not apply and callers fall back to the
// term's own coefficients: frames without term structure, a formula without an intercept, a factor
// coded by contrasts against a margin that is not itself a term, other aliased columns, or (for the
// least-squares case) a variable without a main effect in X.
std::optional<std::vector<TermHypothesis>> Type3Hypotheses(const ModelFrame& frame);

}  // namespace lmm::inference::ddf
