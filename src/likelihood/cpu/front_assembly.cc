#include "likelihood/cpu/front_assembly.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace lmm::cpu {
namespace {

// Blocks of rows that Lambda_r mixes: a rest term's level (q_b rows); each [X y] row alone.
struct Block {
  int64_t first, q;
};

std::vector<Block> RestBlocks(const CrossProducts& cp) {
  std::vector<Block> blocks;
  for (const RestBlock& rb : cp.rest)
    for (int64_t l = 0; l < rb.levels; ++l) blocks.push_back({rb.offset + l * rb.q, rb.q});
  for (int64_t i = cp.mt; i < cp.m; ++i) blocks.push_back({i, 1});
  return blocks;
}

bool AnyNonzero(const Eigen::MatrixXd& a, const Block& bi, const Block& bj) {
  for (int64_t v = 0; v < bj.q; ++v)
    for (int64_t u = 0; u < bi.q; ++u)
      if (a(bi.first + u, bj.first + v) != 0.0) return true;
  return false;
}

}  // namespace

SchurFrontAssembly::SchurFrontAssembly(const CrossProducts& cp, const SupernodalPlan& plan)
    : mt_(cp.mt), q0_(cp.q0), row_off_(cp.row_off), panel_off_(cp.panel_off) {
  const int64_t m = cp.m;
  const int64_t supernodes = plan.num_supernodes();
  if (plan.n != m) throw std::logic_error("SchurFrontAssembly: plan of another size");
  std::vector<int32_t> pivot(m), super_of(m);
  for (int64_t k = 0; k < m; ++k) pivot[plan.perm[k]] = static_cast<int32_t>(k);
  for (int64_t s = 0; s < supernodes; ++s) {
    front_size_.push_back(plan.front_size(s));
    for (int64_t k = plan.first[s]; k < plan.first[s + 1]; ++k) super_of[k] = static_cast<int32_t>(s);
  }
  auto position = [&](int64_t s, int32_t k) {
    const int32_t* rows = plan.rows.data() + plan.row_off[s];
    const int32_t* end = rows + plan.front_size(s);
    const int32_t* at = std::lower_bound(rows, end, k);
    if (at == end || *at != k)
      throw std::logic_error("SchurFrontAssembly: an entry of S is outside the plan's fronts");
    return static_cast<int32_t>(at - rows);
  };

  // The A part: the whole of every block pair with a nonzero (the diagonal always, for the 1s
  // and since Lambda_b' A_bb Lambda_b fills it), lower triangle in pivot order.
  std::vector<std::vector<AEntry>> entries(supernodes);
  const std::vector<Block> blocks = RestBlocks(cp);
  for (size_t b = 0; b < blocks.size(); ++b)
    for (size_t c = b; c < blocks.size(); ++c) {
      if (c != b && !AnyNonzero(cp.a, blocks[c], blocks[b])) continue;
      for (int64_t j = blocks[b].first; j < blocks[b].first + blocks[b].q; ++j)
        for (int64_t i = blocks[c].first; i < blocks[c].first + blocks[c].q; ++i) {
          if (c == b && i < j) continue;
          const int32_t lo = std::min(pivot[i], pivot[j]), hi = std::max(pivot[i], pivot[j]);
          const int32_t s = super_of[lo];
          entries[s].push_back({static_cast<int32_t>(lo - plan.first[s]), position(s, hi),
                                static_cast<int32_t>(i), static_cast<int32_t>(j)});
        }
    }
  // Column blocks of every front; the A entries and the cliques' spans listed per block.
  block_base_.assign(1, 0);
  for (int64_t s = 0; s < supernodes; ++s)
    block_base_.push_back(block_base_.back() +
                          (plan.front_size(s) + kFrontBlockColumns - 1) / kFrontBlockColumns);
  const int64_t num_blocks = block_base_.back();
  a_off_.assign(num_blocks + 1, 0);
  for (int64_t s = 0; s < supernodes; ++s) {
    std::vector<AEntry>& e = entries[s];
    std::sort(e.begin(), e.end(), [](const AEntry& x, const AEntry& y) {
      return std::pair(x.col, x.row) < std::pair(y.col, y.row);
    });
    for (const AEntry& x : e) ++a_off_[block_base_[s] + x.col / kFrontBlockColumns + 1];
    a_.insert(a_.end(), e.begin(), e.end());
  }
  for (int64_t k = 0; k < num_blocks; ++k) a_off_[k + 1] += a_off_[k];

  // The cliques: each level's rows, by front position, in the front of its first pivot.
  order_.resize(cp.row_index.size());
  pos_.resize(cp.row_index.size());
  std::vector<std::vector<Span>> spans(num_blocks);
  std::vector<std::pair<int32_t, int32_t>> sorted;
  for (int64_t c = 0; c < cp.l0; ++c) {
    const int64_t mc = cp.panel_rows(c);
    const int64_t off = cp.row_off[c];
    const int32_t* idx = cp.row_index.data() + off;
    int32_t first = pivot[idx[0]];
    for (int64_t r = 1; r < mc; ++r) first = std::min(first, pivot[idx[r]]);
    const int32_t s = super_of[first];
    sorted.clear();
    for (int64_t r = 0; r < mc; ++r)
      sorted.emplace_back(position(s, pivot[idx[r]]), static_cast<int32_t>(r));
    std::sort(sorted.begin(), sorted.end());
    for (int64_t r = 0; r < mc; ++r) {
      pos_[off + r] = sorted[r].first;
      order_[off + r] = sorted[r].second;
    }
    for (int64_t x = 0; x < mc;) {
      const int64_t b = pos_[off + x] / kFrontBlockColumns;
      int64_t end = x + 1;
      while (end < mc && pos_[off + end] / kFrontBlockColumns == b) ++end;
      spans[block_base_[s] + b].push_back(
          {static_cast<int32_t>(c), static_cast<int32_t>(x), static_cast<int32_t>(end)});
      x = end;
    }
  }
  span_off_.assign(1, 0);
  for (const std::vector<Span>& l : spans) {
    spans_.insert(spans_.end(), l.begin(), l.end());
    span_off_.push_back(static_cast<int64_t>(spans_.size()));
  }
}

void SchurFrontAssembly::Add(int64_t s, int64_t j0, int64_t j1, double* f,
                             const SchurSources& src) const {
  const int64_t nf = front_size_[s];
  const int64_t k0 = block_base_[s] + j0 / kFrontBlockColumns;
  const int64_t k1 = block_base_[s] + (j1 + kFrontBlockColumns - 1) / kFrontBlockColumns;
  const Eigen::MatrixXd& a = *src.a;
  const int q0 = q0_;
  for (int64_t k = k0; k < k1; ++k) {
    for (int64_t t = a_off_[k]; t < a_off_[k + 1]; ++t) {
      const AEntry& e = a_[t];
      double v = src.scale != nullptr ? src.scale[e.i] * a(e.i, e.j) * src.scale[e.j] : a(e.i, e.j);
      if (e.i == e.j && e.i < mt_) v += 1.0;
      f[e.row + e.col * nf] += v;
    }
    for (int64_t t = span_off_[k]; t < span_off_[k + 1]; ++t) {
      const Span& span = spans_[t];
      const int64_t c = span.level;
      const int64_t mc = row_off_[c + 1] - row_off_[c];
      const int32_t* pos = pos_.data() + row_off_[c];
      const int32_t* ord = order_.data() + row_off_[c];
      const double* pc = src.panels + panel_off_[c];
      for (int64_t x = span.x0; x < span.x1; ++x) {
        double* col = f + pos[x] * nf;
        const double* px = pc + ord[x];
        if (q0 == 1) {
          const double v = *px;
          for (int64_t y = x; y < mc; ++y) col[pos[y]] -= pc[ord[y]] * v;
          continue;
        }
        for (int64_t y = x; y < mc; ++y) {
          double v = 0;
          for (int l = 0; l < q0; ++l) v += pc[ord[y] + l * mc] * px[l * mc];
          col[pos[y]] -= v;
        }
      }
    }
  }
}

}  // namespace lmm::cpu
