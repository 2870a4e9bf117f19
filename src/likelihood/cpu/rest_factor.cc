#include "likelihood/cpu/rest_factor.h"

#include <bit>
#include <cstdint>
#include <vector>

namespace lmm::cpu {
namespace {

constexpr int64_t kMinTermRows = 256;
constexpr double kMaxFlopFraction = 0.45;

// Lower-triangle bit matrix of the term rows, stored by column.
class BitPattern {
 public:
  explicit BitPattern(int64_t n) : words_((n + 63) / 64), bits_(n * words_, 0) {}
  void Set(int64_t i, int64_t j) {
    if (i < j) std::swap(i, j);
    if (i != j) bits_[j * words_ + i / 64] |= uint64_t{1} << (i % 64);
  }
  std::vector<int32_t> Column(int64_t j) const {
    std::vector<int32_t> rows;
    for (int64_t w = 0; w < words_; ++w)
      for (uint64_t b = bits_[j * words_ + w]; b != 0; b &= b - 1)
        rows.push_back(static_cast<int32_t>(w * 64 + std::countr_zero(b)));
    return rows;
  }

 private:
  int64_t words_;
  std::vector<uint64_t> bits_;
};

}  // namespace

LowerPattern RestPattern(const CrossProducts& cp) {
  const int64_t mt = cp.mt, m = cp.m;
  BitPattern bits(mt);
  // A's level blocks: a nonzero entry makes the whole q_b1 x q_b2 block structurally nonzero
  // (Lambda_b' A_block Lambda_b mixes it).
  std::vector<int64_t> block_first(mt), block_q(mt);
  for (const RestBlock& rb : cp.rest)
    for (int64_t r = 0; r < rb.levels * rb.q; ++r) {
      block_first[rb.offset + r] = rb.offset + (r / rb.q) * rb.q;
      block_q[rb.offset + r] = rb.q;
    }
  for (int64_t j = 0; j < mt; ++j)
    for (int64_t i = j; i < mt; ++i) {
      if (cp.a(i, j) == 0.0) continue;
      for (int64_t u = 0; u < block_q[i]; ++u)
        for (int64_t v = 0; v < block_q[j]; ++v) bits.Set(block_first[i] + u, block_first[j] + v);
    }
  // The clique of each first-term level's term rows (whole tiles).
  const int w = cp.p + 1;
  for (int64_t c = 0; c < cp.l0; ++c) {
    const int32_t* idx = cp.row_index.data() + cp.row_off[c];
    const int64_t rows = cp.panel_rows(c) - w;
    for (int64_t a = 0; a < rows; ++a)
      for (int64_t b = 0; b < a; ++b) bits.Set(idx[a], idx[b]);
  }
  LowerPattern pattern(m);
  for (int64_t j = 0; j < m; ++j) {
    if (j < mt) pattern[j] = bits.Column(j);
    for (int64_t i = std::max(j + 1, mt); i < m; ++i) pattern[j].push_back(static_cast<int32_t>(i));
  }
  return pattern;
}

std::unique_ptr<SupernodalCholesky> ChooseRestFactor(const CrossProducts& cp,
                                                     RestFactorization mode) {
  if (mode == RestFactorization::kDense || cp.mt == 0) return nullptr;
  if (mode == RestFactorization::kAuto && cp.mt < kMinTermRows) return nullptr;
  const double m = static_cast<double>(cp.m);
  const double dense_flops = m * m * m / 3;
  // Beyond this the factor alone would be larger than the dense lower triangle allows for.
  const int64_t max_entries = mode == RestFactorization::kAuto
                                  ? static_cast<int64_t>(0.6 * m * (m + 1) / 2)
                                  : static_cast<int64_t>(m * (m + 1) / 2) + 1;
  SupernodalPlan plan;
  LowerPattern structure = RestPattern(cp);
  if (!PlanSupernodal(structure, cp.m - cp.mt, max_entries, plan)) return nullptr;
  if (mode == RestFactorization::kAuto && plan.flops > kMaxFlopFraction * dense_flops)
    return nullptr;
  // Fronts are stored as full squares: bounded by four times the dense matrix.
  if (mode == RestFactorization::kAuto && plan.front_off.back() > 4 * cp.m * cp.m) return nullptr;
  return std::make_unique<SupernodalCholesky>(std::move(plan));
}

}  // namespace lmm::cpu
