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

// Term 1's diagonal block is diagonal (q = 1) or uniform block diagonal; every other diagonal block
// is dense (fill-in); an off-diagonal block is sparse unless its density exceeds 10%, when dense.
BlockPlan PlanBlocks(const ModelFrame& frame);

const char* BlockKindName(BlockKind kind);

}  // namespace lmm::design
