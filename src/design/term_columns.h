// Model-matrix columns for a list of terms, as R's model.matrix builds them with treatment contrasts.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "lmm/data_frame.h"
#include "lmm/formula.h"

namespace lmm::design {

struct TermColumns {
  std::vector<std::string> names;  // "(Intercept)", "Days", "factor(drug)2", "age:SexMale"
  Eigen::MatrixXd values;          // rows x names.size()
  std::vector<int> term;           // per column: index into `terms`, -1 for "(Intercept)"
};

// Columns of `terms` (plus the intercept when `intercept`) on data rows `rows`.
// Coding follows R's model.matrix: a factor in a term gets treatment contrasts (first level
// dropped) when the term without it is empty or contained in an earlier term, else one indicator
// per level; without an intercept the first factor of the first term with a factor is coded by
// indicators. Within an interaction the first variable varies fastest and names join with ':'.
TermColumns BuildTermColumns(const std::vector<Term>& terms, bool intercept, const DataFrame& data,
                             const std::vector<int64_t>& rows);

}  // namespace lmm::design
