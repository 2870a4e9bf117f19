// Host copy of a multi-term model's cross-products in the device layout (kernels/level_math.h),
// made from the CPU backend's cross-products so that both backends start from the same numbers:
// the per-level arrays are cpu::CrossProducts' own; this adds what the kernels need besides
// (rest block templates' offsets, per-row block and level base of S, per-column item lists).
#pragma once

#include <cstdint>
#include <vector>

#include "level_math.h"
#include "likelihood/cpu/cross_products.h"

namespace lmm::gpu {

struct HostLevels {
  int64_t m = 0, mt = 0;
  std::vector<int32_t> tile_block;   // per tile of cp.tiles: its rest block
  std::vector<int32_t> rest_q;       // per rest block
  std::vector<int32_t> rest_offset;  // per rest block: offset of its template in the lambdas
  int lambda_r_size = 0;             // sum of q_b^2
  std::vector<int32_t> row_block;    // m: rest block of each row of S, -1 for [X y]
  std::vector<int32_t> row_base;     // m: first row of the row's level
  std::vector<int64_t> item_off;     // m + 1
  std::vector<int32_t> item_level, item_row;

  kernels::LevelView levels(const cpu::CrossProducts& cp) const {
    return {cp.l0,
            cp.q0,
            cp.d.data(),
            cp.panel_off.data(),
            cp.row_off.data(),
            cp.row_index.data(),
            cp.tile_off.data(),
            tile_block.data(),
            cp.panel.data()};
  }
  kernels::RestLambdas rest(const double* lambda_r) const {
    return {static_cast<int>(rest_q.size()), rest_q.data(), rest_offset.data(), lambda_r};
  }
  kernels::RestRows rows() const { return {m, mt, row_block.data(), row_base.data()}; }
  kernels::ColumnItems items() const {
    return {item_off.data(), item_level.data(), item_row.data()};
  }
};

inline HostLevels PackLevels(const cpu::CrossProducts& cp) {
  HostLevels h;
  h.m = cp.m;
  h.mt = cp.mt;
  for (const cpu::Tile& t : cp.tiles) h.tile_block.push_back(t.block);
  for (const cpu::RestBlock& rb : cp.rest) {
    h.rest_q.push_back(rb.q);
    h.rest_offset.push_back(h.lambda_r_size);
    h.lambda_r_size += rb.q * rb.q;
  }
  h.row_block.assign(cp.m, -1);
  h.row_base.resize(cp.m);
  for (int64_t r = 0; r < cp.m; ++r) h.row_base[r] = static_cast<int32_t>(r);
  for (size_t b = 0; b < cp.rest.size(); ++b) {
    const cpu::RestBlock& rb = cp.rest[b];
    for (int64_t l = 0; l < rb.levels; ++l)
      for (int e = 0; e < rb.q; ++e) {
        const int64_t r = rb.offset + l * rb.q + e;
        h.row_block[r] = static_cast<int32_t>(b);
        h.row_base[r] = static_cast<int32_t>(rb.offset + l * rb.q);
      }
  }
  // Column items: the transpose of row_index, levels ascending within each column.
  h.item_off.assign(cp.m + 1, 0);
  for (int32_t r : cp.row_index) ++h.item_off[r + 1];
  for (int64_t j = 0; j < cp.m; ++j) h.item_off[j + 1] += h.item_off[j];
  h.item_level.resize(cp.row_index.size());
  h.item_row.resize(cp.row_index.size());
  std::vector<int64_t> next(h.item_off.begin(), h.item_off.end() - 1);
  for (int64_t c = 0; c < cp.l0; ++c)
    for (int64_t k = cp.row_off[c]; k < cp.row_off[c + 1]; ++k) {
      const int64_t at = next[cp.row_index[k]]++;
      h.item_level[at] = static_cast<int32_t>(c);
      h.item_row[at] = static_cast<int32_t>(k - cp.row_off[c]);
    }
  return h;
}

}  // namespace lmm::gpu
