// Cross-products of [Z_1 .. Z_k X y] in the storage of the CPU blocked Cholesky, formed in one
// pass over the data (DESIGN.md sec. 4).
//
// Block 0 is the term with the most levels (lme4's first term). Its diagonal block Z_0'Z_0 is
// block diagonal (q0 x q0 per level). Everything else -- the other terms and [X y] -- forms the
// "rest": a dense symmetric m x m matrix A (m = sum_{b>=1} levels_b q_b + p + 1) whose rows are
// the other terms' columns (block order, level-major) followed by the p columns of X and y. The
// rows of the off-diagonal block [rest]' Z_0 are sparse: for level c of term 0 only the tiles
// (levels of other terms that co-occur with c, q_b rows each) and the p + 1 rows of [X y] are
// nonzero; they are kept per level as a dense m_c x q0 panel C_c with its row indices into A.
// Eliminating block 0 then leaves the Schur complement of the rest, which is factored densely
// [Bates, Alday & Kokandakar 2025, sec. 3: blocks after the first are dense after fill-in].
//
// Centering: the products are those of the centered X and y (centering.h, MakeCentering).
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "likelihood/cpu/centering.h"
#include "lmm/model_frame.h"
#include "model/theta_layout.h"

namespace lmm::cpu {

struct RestBlock {
  int term = 0;  // ModelFrame term index
  int q = 0;
  int64_t levels = 0;
  int64_t offset = 0;  // first row of this block in A
};

// A run of q_b rows of a level's panel C_c that belong to one level of rest block `block`.
struct Tile {
  int32_t block = 0;  // index into CrossProducts::rest
  int32_t base = 0;   // row of A of the tile's first row
};

struct CrossProducts {
  int64_t n = 0;
  int p = 0;
  // Block 0.
  int term0 = 0;
  int q0 = 0;
  int64_t l0 = 0;
  std::vector<double> d;           // l0 blocks of q0 x q0 (column-major): Z_0c'Z_0c
  std::vector<int64_t> tile_off;   // l0 + 1 offsets into tiles
  std::vector<Tile> tiles;         // level c's tiles, sorted by base
  std::vector<int64_t> panel_off;  // l0 + 1 offsets into panel (in doubles)
  std::vector<int64_t> row_off;    // l0 + 1 offsets into row_index
  std::vector<int32_t> row_index;  // per panel row: its row of A (increasing within a level)
  std::vector<double> panel;       // level c: m_c x q0 column-major, rows = tiles then X, y
  // The rest.
  std::vector<RestBlock> rest;  // blocks 1..k-1
  int64_t mt = 0;               // rows of A that belong to terms
  int64_t m = 0;                // mt + p + 1
  Eigen::MatrixXd a;            // m x m, symmetric (both triangles filled)
  CenteringInfo centering;

  int64_t panel_rows(int64_t c) const { return row_off[c + 1] - row_off[c]; }
};

// Largest dense rest (m) the CPU evaluator accepts: A and S take 2 m^2 doubles (2.3 GB at
// m = 12000).
inline constexpr int64_t kMaxDenseRest = 12000;
// Largest m the GPU multi-term evaluator accepts, where device memory is the real limit (A and S,
// 2 m^2 doubles, must fit it: m = 84,434, MovieLens ml-32m's items, takes 114 GB); this bound
// only keeps m^2 and the 32-bit row indices far from overflow.
inline constexpr int64_t kMaxGpuDenseRest = int64_t{1} << 20;

// Throws lmm::Error (kData: n <= p; kInternal: X, y, Z or the level indices do not match n or the
// levels) when the frame is inconsistent: BuildCrossProducts' checks of the frame.
void CheckFrame(const ModelFrame& frame);

// Throws lmm::Error when the model's rest is too large for dense storage (m > max_m: the CPU
// evaluator's kMaxDenseRest, or the GPU's kMaxGpuDenseRest) or the frame is inconsistent.
CrossProducts BuildCrossProducts(const ModelFrame& frame, const ThetaLayout& layout,
                                 int64_t max_m = kMaxDenseRest);

// The pieces of `cp` that depend on y, from frame.y: centering.y_shift (the mean, with an
// intercept), the panels' y rows (sum_{i in c} (y_i - y_shift) z_0i), A's y row and column (the
// rest terms' columns in double; the [X y] columns in long double, in row order). The other
// pieces of `cp` must be those of `frame`'s design. BuildCrossProducts calls it last; fit
// --responses calls it again for each response (response_update.h).
void FillResponsePieces(const ModelFrame& frame, CrossProducts& cp);

}  // namespace lmm::cpu
