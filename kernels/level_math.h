// Per-level and per-entry mathematics of the multi-term blocked Cholesky (crossed and nested
// random effects), written once for the host (g++: the CPU tests and the host reference of the GPU
// pass) and the device (nvcc: kernels/level_kernels.cu). Plain loops; no allocation, no library
// calls, no exceptions.
//
// Storage: that of cpu::CrossProducts (likelihood/cpu/cross_products.h). Block 0 is the term with
// the most levels (q0 columns, l0 levels); the rest -- the other terms' columns (block order,
// level-major) and the p + 1 columns of [X y] -- is a dense m x m matrix A. Level c of block 0
// keeps D_c = Z_0c'Z_0c (q0 x q0) and the panel C_c = [rest]'Z_0c restricted to its m_c nonzero
// rows (m_c x q0, column-major), with row_index mapping panel rows to rows of A; the panel's rows
// are runs of q_b rows ("tiles", one per co-occurring level of rest block b) followed by the
// p + 1 rows of [X y].
//
// With Lambda_0 block 0's template and Lambda_r = blockdiag(Lambda_b per level, I_{p+1}):
//   L_c L_c'  = Lambda_0' D_c Lambda_0 + I                                  (EliminateLevel)
//   P_c       = Lambda_r' C_c Lambda_0 L_c^{-T}                             (EliminateLevel)
//   S         = Lambda_r' A Lambda_r + diag(I_mt, 0) - sum_c E_c P_c P_c' E_c'
//               (ScaledRestEntry, then DowndateItem per column of S)
//   log|L|^2  = sum_c 2 log det L_c + 2 sum_{i < mt} log L_S(i, i),  S = L_S L_S'
// [Bates, Alday & Kokandakar 2025, sec. 3; DESIGN.md sec. 3; the CPU mirror is
// likelihood/cpu/cpu_evaluator.h]. Lambda_r' acts on the panel's rows and Lambda_0 L_c^{-T} on
// its columns, so the two commute and the column step is cluster_math.h's SolveClusterPanel.
#pragma once

#include <cstdint>

#include "cluster_math.h"

namespace lmm::kernels {

// Block 0 per level (memory space: wherever the pointers point).
struct LevelView {
  int64_t levels = 0;
  int q0 = 0;                           // <= kMaxClusterQ
  const double* d = nullptr;            // levels blocks of q0 x q0, column-major, both triangles
  const int64_t* panel_off = nullptr;   // levels + 1 offsets (doubles) into panel
  const int64_t* row_off = nullptr;     // levels + 1 offsets into row_index
  const int32_t* row_index = nullptr;   // per panel row: its row of A
  const int64_t* tile_off = nullptr;    // levels + 1 offsets into tile_block
  const int32_t* tile_block = nullptr;  // per tile: its rest block (index into RestLambdas)
  const double* panel = nullptr;        // C_c: m_c x q0 column-major at panel_off[c]
};

// Lambda templates of the rest blocks: block b is q[b] x q[b] (lower triangular, column-major)
// at lambda + offset[b].
struct RestLambdas {
  int blocks = 0;
  const int32_t* q = nullptr;
  const int32_t* offset = nullptr;
  const double* lambda = nullptr;
};

// The rows of A (and S): row r belongs to rest block block[r] (-1 for the p + 1 rows of [X y])
// and to the level whose first row is base[r] (r itself for [X y]).
struct RestRows {
  int64_t m = 0;
  int64_t mt = 0;  // rows that belong to terms
  const int32_t* block = nullptr;
  const int32_t* base = nullptr;
};

// Per column j of S, the panel rows that map to it, in level order: items
// [off[j], off[j + 1]) of (level[k], row[k]) with row_index[row_off[level] + row] == j.
struct ColumnItems {
  const int64_t* off = nullptr;  // m + 1
  const int32_t* level = nullptr;
  const int32_t* row = nullptr;
};

LMM_HD inline int64_t LevelRows(const LevelView& v, int64_t c) {
  return v.row_off[c + 1] - v.row_off[c];
}

// Rows of panel pc (level c, m_c x q0 column-major) <- Lambda_b' rows, tile by tile; the [X y]
// rows are left as they are (Lambda_r is the identity there).
LMM_HD inline void ApplyRestLambdaTranspose(const LevelView& v, const RestLambdas& r, int64_t c,
                                            double* pc) {
  const int64_t mc = LevelRows(v, c);
  int64_t row = 0;
  for (int64_t t = v.tile_off[c]; t < v.tile_off[c + 1]; ++t) {
    const int b = v.tile_block[t];
    const int qb = r.q[b];
    const double* lam = r.lambda + r.offset[b];
    // new(e) = sum_{f >= e} Lambda_b(f, e) old(f): ascending e reads only rows not yet written.
    for (int k = 0; k < v.q0; ++k) {
      double* col = pc + row + k * mc;
      for (int e = 0; e < qb; ++e) {
        double s = 0;
        for (int f = e; f < qb; ++f) s += lam[f + e * qb] * col[f];
        col[e] = s;
      }
    }
    row += qb;
  }
}

// Level c: l (q0 x q0, lower) <- L_c, out + panel_off[c] <- P_c (m_c x q0), *logdet <- 2 log det
// L_c. Returns false when a pivot of L_c is not positive (non-finite input); l, the panel and
// *logdet are then unspecified.
LMM_HD inline bool EliminateLevel(const LevelView& v, const RestLambdas& r, const double* lambda0,
                                  int64_t c, double* l, double* out, double* logdet) {
  const int q0 = v.q0;
  const int64_t mc = LevelRows(v, c);
  const double* src = v.panel + v.panel_off[c];
  double* pc = out + v.panel_off[c];
  for (int64_t e = 0; e < mc * q0; ++e) pc[e] = src[e];
  ApplyRestLambdaTranspose(v, r, c, pc);
  return EliminateCluster(q0, static_cast<int>(mc), lambda0, v.d + c * q0 * q0, l, pc, logdet);
}

// (Lambda_r' A Lambda_r)(i, j) + [i == j < mt] for A m x m column-major (leading dimension lda),
// symmetric with both triangles stored. Lambda_r is block diagonal, so only the q_i x q_j block of
// A where the levels of rows i and j meet contributes, and Lambda's lower triangularity limits
// the sums to the rows at or below i and j within their levels.
LMM_HD inline double ScaledRestEntry(const RestRows& rows, const RestLambdas& r, const double* a,
                                     int64_t lda, int64_t i, int64_t j) {
  const int bi = rows.block[i], bj = rows.block[j];
  const int qi = bi < 0 ? 1 : r.q[bi], qj = bj < 0 ? 1 : r.q[bj];
  const double* li = bi < 0 ? nullptr : r.lambda + r.offset[bi];
  const double* lj = bj < 0 ? nullptr : r.lambda + r.offset[bj];
  const int64_t base_i = rows.base[i], base_j = rows.base[j];
  const int ei = static_cast<int>(i - base_i), ej = static_cast<int>(j - base_j);
  double s = 0;
  for (int x = ei; x < qi; ++x) {
    double inner = 0;
    for (int y = ej; y < qj; ++y)
      inner += a[(base_i + x) + (base_j + y) * lda] * (lj != nullptr ? lj[y + ej * qj] : 1.0);
    s += (li != nullptr ? li[x + ei * qi] : 1.0) * inner;
  }
  if (i == j && i < rows.mt) s += 1.0;
  return s;
}

// One item of column j of S: level c's panel row jr maps to column j; subtract
// (P_c P_c')(i, jr) from S(row_index(i), j) for panel rows i = jr + first, jr + first + step, ...
// (all rows at or below jr, which map to rows at or below j since row_index increases within a
// level). s_col is column j of S.
LMM_HD inline void DowndateItem(const LevelView& v, const double* panels, int64_t c, int64_t jr,
                                int64_t first, int64_t step, double* s_col) {
  const int q0 = v.q0;
  const int64_t mc = LevelRows(v, c);
  const double* pc = panels + v.panel_off[c];
  const int32_t* idx = v.row_index + v.row_off[c];
  for (int64_t i = jr + first; i < mc; i += step) {
    double s = 0;
    for (int k = 0; k < q0; ++k) s += pc[i + k * mc] * pc[jr + k * mc];
    s_col[idx[i]] -= s;
  }
}

// Level c's term of the [X y] block of the downdate: (P_c P_c')(mc - w + r, mc - w + s), the
// products of its last w panel rows (r, s < w). The device sums these over levels in a fixed
// tree per entry instead of walking the [X y] columns' item lists (one item per level each).
LMM_HD inline double TrailingProduct(const LevelView& v, const double* panels, int64_t c, int w,
                                     int r, int s) {
  const int64_t mc = LevelRows(v, c);
  const double* pc = panels + v.panel_off[c];
  const int64_t i = mc - w + r, j = mc - w + s;
  double sum = 0;
  for (int k = 0; k < v.q0; ++k) sum += pc[i + k * mc] * pc[j + k * mc];
  return sum;
}

}  // namespace lmm::kernels
