// Assembly of the Schur complement S of the terms after the first (cpu_evaluator.h, step 2)
// straight into the fronts of its supernodal factorization, without forming S:
//
//   S = Lambda_r' A Lambda_r + diag(I_mt, 0) - sum_c E_c P_c P_c' E_c'.
//
// An entry of the first part, (i, j) in pivot order with i >= j, goes to column j of the front of
// j's supernode, as in any multifrontal method. Each clique P_c P_c' goes whole into the front of
// the supernode holding its first pivot k: every row of the clique is in the structure of column
// k of L (S(clique, clique) is dense), hence a row of that front; the part below that supernode's
// own columns travels up with its update matrix to the fronts of the later columns, which is where
// the extend-add would have put it [the row-wise assembly of A'A into fronts: Davis 2006, sec.
// 9.4; Chen, Davis, Hager & Rajamanickam 2008]. Each clique is a dense rank-q0 update of scattered
// front rows, formed once instead of being scattered into a dense m x m S and gathered back.
//
// Deterministic: an entry receives its contributions in a fixed order (the A part, then the
// levels in increasing order) whatever the split of a front's columns between threads.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "likelihood/cpu/cross_products.h"
#include "likelihood/cpu/supernodal_cholesky.h"
#include "likelihood/cpu/supernodal_plan.h"

namespace lmm::cpu {

// What an evaluation contributes: the panels P_c (layout of CrossProducts::panel) and the A part,
// scale(i) a(i, j) scale(j) when `scale` is given (every rest term has one column, so Lambda_r
// is diagonal), else a(i, j) itself (the caller's Lambda_r' A Lambda_r). The 1 on the diagonal of
// the term rows is added here.
struct SchurSources {
  const double* panels = nullptr;
  const Eigen::MatrixXd* a = nullptr;
  const double* scale = nullptr;  // m values, or nullptr
};

class SchurFrontAssembly {
 public:
  // Throws std::logic_error when a clique or an entry of A does not fit the plan's fronts (the
  // plan was not made from RestPattern(cp)).
  SchurFrontAssembly(const CrossProducts& cp, const SupernodalPlan& plan);

  // Adds S's entries that belong to columns [j0, j1) of front s (column-major, side nf, rows as
  // the plan's) into f; only the lower triangle is touched. j0 and j1 as SupernodalCholesky's
  // FrontSource gets them (whole kFrontBlockColumns blocks).
  void Add(int64_t s, int64_t j0, int64_t j1, double* f, const SchurSources& src) const;

 private:
  struct AEntry {
    int32_t col, row;  // in the front
    int32_t i, j;      // in A (original order)
  };
  // The part of a clique in one column block: its sorted rows [x0, x1) lie in the block.
  struct Span {
    int32_t level, x0, x1;
  };
  int64_t mt_ = 0;
  int q0_ = 0;
  std::vector<int64_t> front_size_;
  // Column blocks of supernode s: block_base_[s] + b, b < ceil(nf / kFrontBlockColumns).
  std::vector<int64_t> block_base_;
  // Per column block k: a_[a_off_[k] .. a_off_[k + 1]) (sorted by column, then row) and
  // spans_[span_off_[k] .. span_off_[k + 1]) (by level).
  std::vector<int64_t> a_off_, span_off_;
  std::vector<AEntry> a_;
  std::vector<Span> spans_;
  // Per level c, its panel rows sorted by front position: order_[row_off[c] ..] (panel row) and
  // pos_[row_off[c] ..] (front row, increasing); panel_off_[c] as the cross-products'.
  std::vector<int64_t> row_off_, panel_off_;
  std::vector<int32_t> order_, pos_;
};

}  // namespace lmm::cpu
