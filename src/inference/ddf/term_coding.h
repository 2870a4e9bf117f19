// The coding of the fixed-effects matrix X as R's model.matrix made it, recovered from the model
// frame (the formula, the column names and the term of each column) without the data: per term its
// variables, which factors are coded by treatment contrasts (R's rule, as design/term_columns.h),
// which variables R's terms() codes 1, and its columns; per factor its number of levels. Used by
// the Type III hypotheses (type3_contrasts.h).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lmm/model_frame.h"

namespace lmm::inference::ddf {

using LabelSet = std::set<std::string>;

struct TermLayout {
  std::string label;
  LabelSet vars;
  std::vector<std::string> order;  // variable labels as written (the first varies fastest)
  std::vector<bool> contrasts;     // per variable: a factor coded by treatment contrasts
  // Variables whose margin (the term without them) is present: R's terms "factors" code 1, the
  // variables lmerTest's containment sees (code 2, indicator coding, is left out).
  LabelSet margin_present;
  std::vector<int> columns;  // its columns of X
  // Per position of the term's coded columns (the first variable fastest): its column of X, or -1
  // for a column aliased because its cell is empty (identically zero in the data).
  std::vector<int> position_column;
  std::vector<std::vector<std::string>> empty_cells;  // per aliased column: level text per variable
};

// The coding of X: per term its variables and columns, per variable whether it is a factor and
// how many levels it has.
struct TermCoding {
  std::vector<TermLayout> terms;
  std::map<std::string, bool> factor;
  std::map<std::string, int> levels;
  int intercept = -1;  // column of "(Intercept)"
  int p = 0;
  // Every aliased column is an empty cell, zero in the data: X B = rdX holds for the B of the
  // coding rules with those columns left out. Else (a cell with rows aliased by the others, as in
  // a three-way interaction with empty cells) rdX is not in the span of X.
  bool cells_empty = true;
};

// Number of columns variable k contributes to term t: 1 for a number, the levels (minus one under
// contrasts) for a factor.
int Width(const TermCoding& c, const TermLayout& t, size_t k);

// nullopt where the coding cannot be recovered: frames without term structure, a formula without
// an intercept, a factor whose level count the column counts do not give, or aliased columns other
// than empty cells of an interaction of factors whose main effects are in X.
std::optional<TermCoding> ReadTermCoding(const ModelFrame& frame);

}  // namespace lmm::inference::ddf
