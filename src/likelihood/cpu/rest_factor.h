// The choice between the dense and the supernodal factorization of the Schur complement S of the
// terms after the first (cpu_evaluator.h), made once from the structure of the data.
//
// S = Lambda_r' A Lambda_r + I - sum_c E_c P_c P_c' E_c' has, among the term rows, the structure
// of A's blocks (two levels' q x q blocks are nonzero when some row has both levels) united with
// the cliques of the rows each level of the first term touches; the [X y] rows are dense and
// stay last. With crossed factors of many levels (InstEval: 1,128 lecturers met through 2,972
// students), S is about 20% full, and a fill-reducing ordering leaves a factor with a fifth of
// the dense flops.
#pragma once

#include <memory>

#include "likelihood/cpu/cross_products.h"
#include "likelihood/cpu/supernodal_cholesky.h"
#include "likelihood/evaluator.h"

namespace lmm::cpu {

// The structure of S's lower triangle (m x m, CrossProducts row order).
LowerPattern RestPattern(const CrossProducts& cp);

// A supernodal factorization of S, or nullptr for the dense one: kDense always dense; kSupernodal
// supernodal whenever there are term rows; kAuto supernodal when there are at least 256 term rows
// and the plan needs under 45% of the dense flops. The plan is made from RestPattern(cp).
std::unique_ptr<SupernodalCholesky> ChooseRestFactor(const CrossProducts& cp,
                                                     RestFactorization mode);

}  // namespace lmm::cpu
