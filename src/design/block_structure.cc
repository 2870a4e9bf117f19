#include "design/block_structure.h"

#include <algorithm>
#include <numeric>
#include <utility>

namespace lmm::design {

std::vector<int> Lme4TermOrder(const std::vector<int64_t>& levels) {
  const int k = static_cast<int>(levels.size());
  std::vector<int> order(k);
  std::iota(order.begin(), order.end(), 0);
  bool increases = false;
  for (int i = 1; i < k; ++i) increases = increases || levels[i] > levels[i - 1];
  if (!increases) return order;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return levels[a] < levels[b]; });
  std::reverse(order.begin(), order.end());
  return order;
}

BlockPlan PlanBlocks(const ModelFrame& frame) {
  BlockPlan plan;
  std::vector<int64_t> levels;
  for (const RandomEffectTerm& t : frame.random) levels.push_back(t.levels);
  plan.term_order = Lme4TermOrder(levels);
  for (size_t i = 0; i < plan.term_order.size(); ++i) {
    std::vector<BlockKind> row;
    for (size_t j = 0; j < i; ++j) row.push_back(j == 0 ? BlockKind::kSparse : BlockKind::kDense);
    if (i == 0)
      row.push_back(frame.random[static_cast<size_t>(plan.term_order[0])].q() == 1
                        ? BlockKind::kDiagonal
                        : BlockKind::kBlockDiagonal);
    else
      row.push_back(BlockKind::kDense);
    plan.kinds.push_back(std::move(row));
  }
  return plan;
}

const char* BlockKindName(BlockKind kind) {
  switch (kind) {
    case BlockKind::kDiagonal: return "diagonal";
    case BlockKind::kBlockDiagonal: return "block diagonal";
    case BlockKind::kSparse: return "sparse";
    case BlockKind::kDense: return "dense";
  }
  return "?";
}

}  // namespace lmm::design
