// The blocked-Cholesky layout chosen once per model (DESIGN.md section 3): random-effect terms
// ordered by number of levels, largest first, and the storage kind of each block.
#pragma once

#include <string>
#include <vector>

#include "lmm/model_frame.h"

namespace lmm::design {

enum class BlockKind { kDiagonal, kBlockDiagonal, kSparse, kDense };

struct BlockPlan {
  std::vector<int> term_order;  // indices into ModelFrame::random, largest number of levels first
  // kinds[i][j] for j <= i over the term blocks in term_order (the [X y] block row is dense).
  std::vector<std::vector<BlockKind>> kinds;
};

// lme4's term order (mkReTrms): if the numbers of levels ever increase along the formula order,
// the terms are put in rev(order(levels)), i.e. decreasing levels with ties in reverse formula
// order; otherwise formula order is kept.
std::vector<int> Lme4TermOrder(const std::vector<int64_t>& levels);

// The layout the CPU engine uses (src/likelihood/cpu): terms in Lme4TermOrder; the first term's
// diagonal block is diagonal (q = 1) or uniform block diagonal and is eliminated level by level,
// its blocks with the later terms are sparse (one panel per level); the later terms and [X y] form
// one Schur complement, stored densely and factored densely or, when sparse enough, supernodally
// (src/likelihood/cpu/rest_factor.h). The kinds here are the structure, not that choice.
BlockPlan PlanBlocks(const ModelFrame& frame);

const char* BlockKindName(BlockKind kind);

}  // namespace lmm::design
