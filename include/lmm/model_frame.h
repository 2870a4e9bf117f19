// The model as the engines see it: response, fixed-effects matrix X and random-effect terms, built
// from a formula and a data frame exactly as R's model.matrix and lme4's mkReTrms build them.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lmm/data_frame.h"
#include "lmm/formula.h"

namespace lmm {

// One random-effect term `(expr | g)`. Z is never formed: row i of the term's Z block has the q
// values z.row(i) in the columns of level level[i].
struct RandomEffectTerm {
  std::string group;               // lme4's group name: "Subject", "cask:batch", "Subject.1"
  std::string grouping_factor;     // the factor itself ("Subject" for "Subject.1")
  std::vector<std::string> names;  // the term's columns: "(Intercept)", "Days"
  CovStructure structure = CovStructure::kUnstructured;
  bool homogeneous = false;
  int64_t levels = 0;
  std::vector<std::string> level_labels;  // one per level, in R's level order
  std::vector<int32_t> level;             // per used row: 0-based level index
  Eigen::MatrixXd z;                      // used rows x q

  int q() const { return static_cast<int>(names.size()); }
};

// Stata's group table line: observations per level of a grouping factor.
struct GroupSummary {
  std::string name;
  int64_t levels = 0;
  int64_t min = 0;
  double mean = 0;
  int64_t max = 0;
};

struct ModelFrame {
  std::string formula;                   // the formula text as given
  std::string response;                  // response label
  Eigen::VectorXd y;                     // used rows, minus response_offset
  // A constant subtracted from the response when its decimals carry more digits than doubles near
  // its magnitude hold (Column::remainders; NIST SmLs07-09). Nonzero only with an intercept, whose
  // estimate and the fitted values add it back; nothing else depends on it.
  double response_offset = 0;
  Eigen::MatrixXd x;                     // used rows x p, full column rank
  std::vector<std::string> fixed_names;  // p names, as model.matrix writes them
  std::vector<std::string> aliased;      // columns dropped as linearly dependent
  // The formula's fixed terms ("factor(drug)", "age:Sex") and, per column of x, the index of the
  // term it belongs to (-1 for "(Intercept)"). Empty fixed_term: unknown (frames not built by
  // BuildModelFrame); users then treat each column as its own term.
  std::vector<std::string> fixed_term_labels;
  std::vector<int> fixed_term;
  std::vector<RandomEffectTerm> random;  // in formula order (after expanding || and /)
  std::vector<GroupSummary> groups;      // one per distinct grouping factor, lme4's order

  int64_t rows_read = 0;
  int64_t rows_used = 0;
  // Rows dropped, by reason ("missing Reaction"), counted once, under the first used column
  // (formula order) that is missing. rows_read == rows_used + sum of these.
  std::vector<std::pair<std::string, int64_t>> rows_dropped;
  std::vector<int64_t> used_rows;  // 0-based data-frame row of each used row

  int64_t n() const { return y.size(); }
  int p() const { return static_cast<int>(x.cols()); }
};

// Builds the model frame. Throws lmm::Error(kData) for unusable data (a column used as a number
// that holds a non-number, with its file:line:column; a response that is constant; a grouping factor
// with one level; a term with at least as many levels as observations; no rows left).
ModelFrame BuildModelFrame(const Formula& formula, const DataFrame& data);

}  // namespace lmm
