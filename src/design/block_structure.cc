#include "design/block_structure.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <utility>

namespace lmm::design {
namespace {

// Fraction of nonzero level pairs in the Z_j'Z_i block (counted on level pairs, not columns).
double PairDensity(const RandomEffectTerm& a, const RandomEffectTerm& b) {
  std::set<std::pair<int32_t, int32_t>> pairs;
  for (size_t r = 0; r < a.level.size(); ++r) pairs.emplace(a.level[r], b.level[r]);
  return static_cast<double>(pairs.size()) /
         (static_cast<double>(a.levels) * static_cast<double>(b.levels));
}

}  // namespace

BlockPlan PlanBlocks(const ModelFrame& frame) {
  BlockPlan plan;
  plan.term_order.resize(frame.random.size());
  std::iota(plan.term_order.begin(), plan.term_order.end(), 0);
  std::stable_sort(plan.term_order.begin(), plan.term_order.end(), [&](int a, int b) {
    return frame.random[static_cast<size_t>(a)].levels > frame.random[static_cast<size_t>(b)].levels;
  });
  for (size_t i = 0; i < plan.term_order.size(); ++i) {
    const RandomEffectTerm& ti = frame.random[static_cast<size_t>(plan.term_order[i])];
    std::vector<BlockKind> row;
    for (size_t j = 0; j < i; ++j) {
      const RandomEffectTerm& tj = frame.random[static_cast<size_t>(plan.term_order[j])];
      row.push_back(PairDensity(ti, tj) > 0.1 ? BlockKind::kDense : BlockKind::kSparse);
    }
    if (i == 0)
      row.push_back(ti.q() == 1 ? BlockKind::kDiagonal : BlockKind::kBlockDiagonal);
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
