// Host side of the multi-term GPU evaluator: the reference implementation of its device pass (the
// same kernels/level_math.h functions, run in index order) and the finish from the factor of the
// Schur complement that both the GPU evaluator and the CPU tests run.
//
// Pass [DESIGN.md sec. 3; cpu_evaluator.h steps 1-2]: per level c of block 0, L_c and P_c
// (EliminateLevel); S = Lambda_r' A Lambda_r + diag(I_mt, 0) (ScaledRestEntry, lower triangle;
// the strict upper triangle is set to zero); then per column j of S its items in level order
// (DowndateItem). Finish: S = L_S L_S', log|L|^2 = sum_c 2 log det L_c + 2 sum_{i<mt} log
// L_S(i, i), and the trailing (p+1) x (p+1) block of L_S gives R_X, r and beta
// (SolveFromTrailingFactor).
#pragma once

#include <Eigen/Dense>
#include <cmath>
#include <cstdint>
#include <vector>

#include "level_math.h"
#include "likelihood/cpu/cross_products.h"
#include "likelihood/gpu/level_pack.h"
#include "likelihood/gpu/one_term_host.h"
#include "likelihood/status.h"

namespace lmm::gpu {

struct MultiTermPass {
  std::vector<double> panels;  // P_c, layout of cp.panel
  Eigen::MatrixXd s;           // m x m: S (lower triangle; upper zero)
  double level_logdet = 0;     // sum_c 2 log det L_c
  int64_t first_failed = -1;   // first level whose L_c could not be formed, or -1
};

// lambda0: q0 x q0 template of block 0; lambda_r: the rest templates at h.rest_offset.
inline MultiTermPass HostMultiTermPass(const cpu::CrossProducts& cp, const HostLevels& h,
                                       const double* lambda0, const double* lambda_r) {
  MultiTermPass out;
  const kernels::LevelView v = h.levels(cp);
  const kernels::RestLambdas r = h.rest(lambda_r);
  out.panels.assign(cp.panel.size(), 0.0);
  double l[kernels::kMaxClusterQ * kernels::kMaxClusterQ];
  for (int64_t c = 0; c < cp.l0; ++c) {
    double logdet = 0;
    if (!kernels::EliminateLevel(v, r, lambda0, c, l, out.panels.data(), &logdet)) {
      if (out.first_failed < 0) out.first_failed = c;
      continue;
    }
    out.level_logdet += logdet;
  }
  const int64_t m = cp.m;
  out.s = Eigen::MatrixXd::Zero(m, m);
  const kernels::RestRows rows = h.rows();
  for (int64_t j = 0; j < m; ++j)
    for (int64_t i = j; i < m; ++i)
      out.s(i, j) = kernels::ScaledRestEntry(rows, r, cp.a.data(), m, i, j);
  for (int64_t j = 0; j < m; ++j)
    for (int64_t k = h.item_off[j]; k < h.item_off[j + 1]; ++k)
      kernels::DowndateItem(v, out.panels.data(), h.item_level[k], h.item_row[k], 0, 1,
                            out.s.data() + j * m);
  return out;
}

// From the level log-determinant, log|L_S|^2 over the term rows (sum_{i<mt} 2 log L_S(i, i)) and
// the trailing (p+1) x (p+1) block of L_S (lower; the strict upper triangle is not read).
inline void FinishMultiTerm(const cpu::CrossProducts& cp, double logdet_l,
                            const Eigen::MatrixXd& trailing, OneTermSolution* out) {
  out->logdet_l = logdet_l;
  out->s = trailing;
  SolveFromTrailingFactor(cp, out);
}

// The whole host pipeline (tests): pass, dense Cholesky (Eigen), finish.
inline Status HostMultiTermUpdate(const cpu::CrossProducts& cp, const HostLevels& h,
                                  const double* lambda0, const double* lambda_r,
                                  OneTermSolution* out) {
  const MultiTermPass pass = HostMultiTermPass(cp, h, lambda0, lambda_r);
  if (pass.first_failed >= 0)
    return Status::Error(Status::Code::kNotPositiveDefinite,
                         "evaluator: level block of the first term is not positive definite",
                         pass.first_failed);
  Eigen::LLT<Eigen::MatrixXd> llt(pass.s);
  if (llt.info() != Eigen::Success)
    return Status::Error(Status::Code::kNotPositiveDefinite,
                         "evaluator: dense block of the factor is not positive definite");
  const Eigen::MatrixXd ls = llt.matrixL();
  double logdet = pass.level_logdet;
  for (int64_t i = 0; i < cp.mt; ++i) logdet += 2.0 * std::log(ls(i, i));
  const int w = cp.p + 1;
  FinishMultiTerm(cp, logdet, ls.bottomRightCorner(w, w), out);
  return Status::Ok();
}

}  // namespace lmm::gpu
