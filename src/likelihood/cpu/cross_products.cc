#include "likelihood/cpu/cross_products.h"

#include <algorithm>
#include <string>

#include "lmm/error.h"

namespace lmm::cpu {

void CheckFrame(const ModelFrame& frame) {
  const int64_t n = frame.n();
  if (frame.x.rows() != n) throw Error(ErrorKind::kInternal, "evaluator: X and y differ in rows");
  if (n <= frame.p())
    throw DataError("the model has " + std::to_string(n) + " observations for " +
                    std::to_string(frame.p()) +
                    " fixed-effect columns (after dropping linearly dependent ones): a fit needs "
                    "more observations than fixed effects");
  for (const RandomEffectTerm& t : frame.random) {
    if (static_cast<int64_t>(t.level.size()) != n || t.z.rows() != n || t.z.cols() != t.q())
      throw Error(ErrorKind::kInternal, "evaluator: random-effect term " + t.group +
                                            " does not match the number of observations");
    for (int32_t l : t.level)
      if (l < 0 || l >= t.levels)
        throw Error(ErrorKind::kInternal, "evaluator: level index out of range in term " + t.group);
  }
}

namespace {

// X'X of the centered columns v_j (lower triangle, row-major p x p): sum_i (long double) v_ij
// v_ik, each sum formed in row order. For speed the rows are taken a block at a time (the block's
// centered values in cache) and up to kGroup sums at a time stay in registers across the block;
// storing a long double sum between blocks keeps it exactly.
std::vector<long double> CenteredGram(const ModelFrame& frame, const CenteringInfo& cen) {
  constexpr int64_t kBlock = 1024;
  constexpr int kGroup = 4;
  const int64_t n = frame.n();
  const int p = frame.p();
  std::vector<long double> gram(p * p, 0.0L);
  std::vector<double> block(p * kBlock);
  for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
    const int64_t len = std::min(kBlock, n - i0);
    for (int j = 0; j < p; ++j) {
      const double* src = frame.x.col(j).data() + i0;
      const double shift = cen.x_shift(j);
      double* dst = block.data() + j * kBlock;
      for (int64_t i = 0; i < len; ++i) dst[i] = src[i] - shift;
    }
    for (int j = 0; j < p; ++j) {
      const double* vj = block.data() + j * kBlock;
      long double* row = gram.data() + j * p;
      int k = 0;
      for (; k + kGroup <= j + 1; k += kGroup) {
        const double* v0 = block.data() + k * kBlock;
        const double* v1 = v0 + kBlock;
        const double* v2 = v1 + kBlock;
        const double* v3 = v2 + kBlock;
        long double s0 = row[k], s1 = row[k + 1], s2 = row[k + 2], s3 = row[k + 3];
        for (int64_t i = 0; i < len; ++i) {
          const long double a = vj[i];
          s0 += a * v0[i];
          s1 += a * v1[i];
          s2 += a * v2[i];
          s3 += a * v3[i];
        }
        row[k] = s0, row[k + 1] = s1, row[k + 2] = s2, row[k + 3] = s3;
      }
      for (; k <= j; ++k) {
        const double* vk = block.data() + k * kBlock;
        long double s0 = row[k];
        for (int64_t i = 0; i < len; ++i) s0 += static_cast<long double>(vj[i]) * vk[i];
        row[k] = s0;
      }
    }
  }
  return gram;
}

// A(y, X_k) and A(y, y): sum_i (long double)(y_i - y_shift) v_ik, k = 0..p, in row order. P > 0:
// p known at compile time, so that the p + 1 long double sums stay in registers; P == 0: any p.
template <int P>
void CrossWithY(const ModelFrame& frame, double y_shift, CrossProducts& cp) {
  const int p = P > 0 ? P : cp.p;
  const int64_t n = cp.n;
  const double* y = frame.y.data();
  const double* x = frame.x.data();
  const double* x_shift = cp.centering.x_shift.data();
  const int64_t ry = cp.mt + p;
  constexpr int kSums = P > 0 ? P + 1 : 1;
  long double fixed[kSums] = {};
  std::vector<long double> any(P > 0 ? 0 : static_cast<size_t>(p) + 1, 0.0L);
  long double* sum = P > 0 ? fixed : any.data();
  for (int64_t i = 0; i < n; ++i) {
    const double yc = y[i] - y_shift;
    for (int k = 0; k < p; ++k)
      sum[k] += static_cast<long double>(yc) * (x[k * n + i] - x_shift[k]);
    sum[p] += static_cast<long double>(yc) * yc;
  }
  for (int k = 0; k <= p; ++k) cp.a(ry, cp.mt + k) = static_cast<double>(sum[k]);
}

}  // namespace

CrossProducts BuildCrossProducts(const ModelFrame& frame, const ThetaLayout& layout,
                                 int64_t max_m) {
  CheckFrame(frame);
  CrossProducts cp;
  cp.n = frame.n();
  cp.p = frame.p();
  const int64_t n = cp.n;
  const int p = cp.p;
  const std::vector<int>& order = layout.order();
  cp.term0 = order[0];
  const RandomEffectTerm& t0 = frame.random[cp.term0];
  cp.q0 = t0.q();
  cp.l0 = t0.levels;
  const int q0 = cp.q0;
  for (size_t b = 1; b < order.size(); ++b) {
    const RandomEffectTerm& t = frame.random[order[b]];
    cp.rest.push_back({order[b], t.q(), t.levels, cp.mt});
    cp.mt += t.levels * t.q();
  }
  cp.m = cp.mt + p + 1;
  if (cp.m > max_m)
    throw Error(ErrorKind::kNumerical,
                "evaluator: the terms after " + t0.group + " have " + std::to_string(cp.mt) +
                    " random effects in all; the " + (max_m == kMaxDenseRest ? "CPU" : "GPU") +
                    " evaluator stores them densely and accepts at most " +
                    std::to_string(max_m - p - 1));
  cp.centering = MakeCentering(frame);
  const CenteringInfo& cen = cp.centering;
  auto xs = [&](int64_t i, int j) { return frame.x(i, j) - cen.x_shift(j); };

  // Rows grouped by level of block 0 (counting sort keeps the row order within a level).
  std::vector<int64_t> first(cp.l0 + 1, 0), rows(n);
  for (int32_t l : t0.level) ++first[l + 1];
  for (int64_t c = 0; c < cp.l0; ++c) first[c + 1] += first[c];
  {
    std::vector<int64_t> next(first.begin(), first.end() - 1);
    for (int64_t i = 0; i < n; ++i) rows[next[t0.level[i]]++] = i;
  }

  cp.d.assign(cp.l0 * q0 * q0, 0.0);
  cp.tile_off.assign(1, 0);
  cp.panel_off.assign(1, 0);
  cp.row_off.assign(1, 0);
  cp.tile_off.reserve(cp.l0 + 1);
  cp.panel_off.reserve(cp.l0 + 1);
  cp.row_off.reserve(cp.l0 + 1);
  if (cp.rest.empty()) {  // every level's panel is the p + 1 rows of [X y]
    cp.row_index.reserve(cp.l0 * (p + 1));
    cp.panel.reserve(cp.l0 * (p + 1) * q0);
  }
  std::vector<Tile> level_tiles;
  std::vector<int32_t> tile_row;  // first panel row of each of the level's tiles
  for (int64_t c = 0; c < cp.l0; ++c) {
    level_tiles.clear();
    for (int64_t k = first[c]; k < first[c + 1]; ++k)
      for (size_t b = 0; b < cp.rest.size(); ++b) {
        const RestBlock& rb = cp.rest[b];
        const int32_t base = static_cast<int32_t>(rb.offset + frame.random[rb.term].level[rows[k]] *
                                                                  static_cast<int64_t>(rb.q));
        level_tiles.push_back({static_cast<int32_t>(b), base});
      }
    std::sort(level_tiles.begin(), level_tiles.end(),
              [](const Tile& a, const Tile& b) { return a.base < b.base; });
    level_tiles.erase(std::unique(level_tiles.begin(), level_tiles.end(),
                                  [](const Tile& a, const Tile& b) { return a.base == b.base; }),
                      level_tiles.end());
    tile_row.clear();
    int32_t mc = 0;
    for (const Tile& tile : level_tiles) {
      tile_row.push_back(mc);
      for (int i = 0; i < cp.rest[tile.block].q; ++i) cp.row_index.push_back(tile.base + i);
      mc += cp.rest[tile.block].q;
    }
    for (int j = 0; j <= p; ++j) cp.row_index.push_back(static_cast<int32_t>(cp.mt + j));
    mc += p + 1;
    cp.tiles.insert(cp.tiles.end(), level_tiles.begin(), level_tiles.end());
    cp.tile_off.push_back(static_cast<int64_t>(cp.tiles.size()));
    cp.row_off.push_back(static_cast<int64_t>(cp.row_index.size()));
    const int64_t off = cp.panel_off.back();
    cp.panel.resize(off + static_cast<int64_t>(mc) * q0, 0.0);
    cp.panel_off.push_back(static_cast<int64_t>(cp.panel.size()));
    double* panel = cp.panel.data() + off;
    double* d = cp.d.data() + c * q0 * q0;
    for (int64_t k = first[c]; k < first[c + 1]; ++k) {
      const int64_t i = rows[k];
      for (int a = 0; a < q0; ++a) {
        const double za = t0.z(i, a);
        for (int b = 0; b < q0; ++b) d[b + a * q0] += t0.z(i, b) * za;
        double* col = panel + static_cast<int64_t>(a) * mc;
        for (size_t b = 0; b < cp.rest.size(); ++b) {
          const RestBlock& rb = cp.rest[b];
          const RandomEffectTerm& t = frame.random[rb.term];
          const int32_t base = static_cast<int32_t>(rb.offset + t.level[i] * int64_t{rb.q});
          const auto it = std::lower_bound(level_tiles.begin(), level_tiles.end(), base,
                                           [](const Tile& x, int32_t v) { return x.base < v; });
          const int32_t r0 = tile_row[it - level_tiles.begin()];
          for (int e = 0; e < rb.q; ++e) col[r0 + e] += t.z(i, e) * za;
        }
        for (int j = 0; j < p; ++j) col[mc - p - 1 + j] += xs(i, j) * za;
      }
    }
  }

  // The rest: the terms' rows accumulated row by row (lower triangle), X'X in long double.
  cp.a = Eigen::MatrixXd::Zero(cp.m, cp.m);
  if (!cp.rest.empty()) {
    std::vector<double> v(p);
    for (int64_t i = 0; i < n; ++i) {
      for (int j = 0; j < p; ++j) v[j] = xs(i, j);
      for (size_t b = 0; b < cp.rest.size(); ++b) {
        const RestBlock& rb = cp.rest[b];
        const RandomEffectTerm& t = frame.random[rb.term];
        const int64_t base = rb.offset + t.level[i] * int64_t{rb.q};
        for (size_t b2 = 0; b2 <= b; ++b2) {
          const RestBlock& rb2 = cp.rest[b2];
          const RandomEffectTerm& t2 = frame.random[rb2.term];
          const int64_t base2 = rb2.offset + t2.level[i] * int64_t{rb2.q};
          for (int e = 0; e < rb.q; ++e)
            for (int e2 = 0; e2 < (b2 == b ? e + 1 : rb2.q); ++e2)
              cp.a(base + e, base2 + e2) += t.z(i, e) * t2.z(i, e2);
        }
        for (int j = 0; j < p; ++j)
          for (int e = 0; e < rb.q; ++e) cp.a(cp.mt + j, base + e) += v[j] * t.z(i, e);
      }
    }
  }
  const std::vector<long double> xx = CenteredGram(frame, cen);
  for (int j = 0; j < p; ++j)
    for (int k = 0; k <= j; ++k) cp.a(cp.mt + j, cp.mt + k) = static_cast<double>(xx[j * p + k]);
  cp.a.triangularView<Eigen::StrictlyUpper>() = cp.a.transpose();
  FillResponsePieces(frame, cp);
  return cp;
}

void FillResponsePieces(const ModelFrame& frame, CrossProducts& cp) {
  const int64_t n = cp.n;
  const int p = cp.p;
  const int q0 = cp.q0;
  const double* y = frame.y.data();
  CenteringInfo& cen = cp.centering;
  // The mean in long double, with an intercept only (MakeCentering's rule).
  cen.y_shift = cen.centered ? LongDoubleMean(y, n) : 0.0;
  const double y_shift = cen.y_shift;

  // Panels of term 0: the last row of each level's m_c x q0 column-major panel is y's; each
  // level's rows are visited in increasing order.
  for (int64_t c = 0; c < cp.l0; ++c) {
    const int64_t mc = cp.panel_rows(c);
    double* panel = cp.panel.data() + cp.panel_off[c];
    for (int a = 0; a < q0; ++a) panel[a * mc + mc - 1] = 0.0;
  }
  const RandomEffectTerm& t0 = frame.random[static_cast<size_t>(cp.term0)];
  for (int64_t i = 0; i < n; ++i) {
    const double yc = y[i] - y_shift;
    const int64_t c = t0.level[i];
    const int64_t mc = cp.panel_rows(c);
    double* last = cp.panel.data() + cp.panel_off[c] + mc - 1;
    for (int a = 0; a < q0; ++a) last[a * mc] += yc * t0.z(i, a);
  }

  // A's row y: the rest blocks' columns in double, the [X y] columns in long double.
  const int64_t ry = cp.mt + p;
  for (int64_t j = 0; j < cp.mt; ++j) cp.a(ry, j) = 0.0;
  for (const RestBlock& rb : cp.rest) {
    const RandomEffectTerm& t = frame.random[static_cast<size_t>(rb.term)];
    for (int64_t i = 0; i < n; ++i) {
      const double yc = y[i] - y_shift;
      const int64_t base = rb.offset + t.level[i] * int64_t{rb.q};
      for (int e = 0; e < rb.q; ++e) cp.a(ry, base + e) += yc * t.z(i, e);
    }
  }
  switch (p) {
    case 1:
      CrossWithY<1>(frame, y_shift, cp);
      break;
    case 2:
      CrossWithY<2>(frame, y_shift, cp);
      break;
    case 3:
      CrossWithY<3>(frame, y_shift, cp);
      break;
    case 4:
      CrossWithY<4>(frame, y_shift, cp);
      break;
    case 5:
      CrossWithY<5>(frame, y_shift, cp);
      break;
    default:
      CrossWithY<0>(frame, y_shift, cp);
  }
  // Column y mirrors row y (A is stored with both triangles).
  for (int64_t j = 0; j < cp.m; ++j) cp.a(j, ry) = cp.a(ry, j);
}

}  // namespace lmm::cpu
