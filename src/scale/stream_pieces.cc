#include "scale/stream_pieces.h"

#include <cmath>

#include "cluster_math.h"

namespace lmm::scale {

std::vector<int> AliasedFromGram(const std::vector<long double>& gram, int stride, int p,
                                 double tolerance) {
  auto g = [&](int i, int j) { return i >= j ? gram[i + j * stride] : gram[j + i * stride]; };
  std::vector<int> kept, aliased;
  std::vector<std::vector<long double>> l;  // rows of the Cholesky factor of G_KK
  for (int j = 0; j < p; ++j) {
    const long double original = g(j, j);
    if (!(original > 0)) {
      aliased.push_back(j);
      continue;
    }
    std::vector<long double> row(kept.size());
    long double residual = original;
    for (size_t a = 0; a < kept.size(); ++a) {
      long double s = g(j, kept[a]);
      for (size_t b = 0; b < a; ++b) s -= l[a][b] * row[b];
      row[a] = s / l[a][a];
      residual -= row[a] * row[a];
    }
    const long double tol2 = static_cast<long double>(tolerance) * tolerance * original;
    if (residual <= tol2) {
      aliased.push_back(j);
      continue;
    }
    row.push_back(std::sqrt(residual));
    l.push_back(std::move(row));
    kept.push_back(j);
  }
  return aliased;
}

StreamPieces FinishPieces(ClusterSums&& sums, Collective& collective) {
  const int q = sums.q, w_all = sums.w, p_all = w_all - 1;
  const int64_t clusters = sums.clusters;
  StreamPieces out;
  // Merge the whole-data pieces (small) and the counts.
  sums.counts.push_back(sums.n);
  collective.SumInt64(sums.counts);
  out.n = sums.counts.back();
  sums.counts.pop_back();
  out.counts = std::move(sums.counts);
  collective.SumLongDouble(sums.sums);
  collective.SumLongDouble(sums.gram);
  collective.MinDouble(sums.min);
  collective.MaxDouble(sums.max);

  out.aliased = AliasedFromGram(sums.gram, w_all, p_all);
  for (int j = 0, a = 0; j < p_all; ++j) {
    if (a < static_cast<int>(out.aliased.size()) && out.aliased[a] == j)
      ++a;
    else
      out.kept.push_back(j);
  }
  const int p = static_cast<int>(out.kept.size()), w = p + 1;
  std::vector<int> sel = out.kept;
  sel.push_back(p_all);  // y

  cpu::CrossProducts& cp = out.cp;
  cp.n = out.n;
  cp.p = p;
  cpu::CenteringInfo& cen = cp.centering;
  cen.x_shift = Eigen::VectorXd::Zero(p);
  const long double n = static_cast<long double>(out.n);
  std::vector<double> shift(static_cast<size_t>(w), 0.0);
  if (p > 0 && sums.min[sel[0]] == sums.max[sel[0]] && sums.min[sel[0]] != 0.0) {
    cen.centered = true;
    cen.intercept = sums.min[sel[0]];
    for (int j = 1; j < p; ++j) cen.x_shift(j) = static_cast<double>(sums.sums[sel[j]] / n);
    cen.y_shift = static_cast<double>(sums.sums[p_all] / n);
    for (int j = 1; j < p; ++j) shift[j] = cen.x_shift(j);
    shift[p] = cen.y_shift;
  }
  auto gram = [&](int i, int j) {
    return i >= j ? sums.gram[i + j * w_all] : sums.gram[j + i * w_all];
  };
  cp.a.resize(w, w);
  for (int j = 0; j < w; ++j)
    for (int k = 0; k < w; ++k) {
      const long double mj = shift[j], mk = shift[k];
      cp.a(j, k) = static_cast<double>(gram(sel[j], sel[k]) - mj * sums.sums[sel[k]] -
                                       sums.sums[sel[j]] * mk + n * mj * mk);
    }

  // The sum over processes of the raw long double sums of this process' clusters, then centered
  // and rounded to double into the kernels' layout.
  const int packed = kernels::PackedSize(q);
  const int64_t in_entries = sums.Entries();
  const std::vector<long double> mine =
      collective.SumScatter(std::move(sums.table), in_entries, clusters);
  const auto [first, last] = ClusterShare(clusters, collective.rank(), collective.size());
  out.first = first;
  gpu::HostClusters& h = out.block;
  h.clusters = last - first;
  h.q = q;
  h.w = w;
  h.d.resize(static_cast<size_t>(packed * h.clusters));
  h.panel.resize(static_cast<size_t>(w * q * h.clusters));
  for (int64_t c = 0; c < h.clusters; ++c) {
    const long double* t = mine.data() + c * in_entries;
    for (int e = 0; e < packed; ++e) h.d[e * h.clusters + c] = static_cast<double>(t[e]);
    const long double* zsum = t + packed + int64_t{w_all} * q;
    for (int k = 0; k < q; ++k)
      for (int j = 0; j < w; ++j)
        h.panel[(j + k * w) * h.clusters + c] = static_cast<double>(
            t[packed + sel[j] + k * w_all] - static_cast<long double>(shift[j]) * zsum[k]);
  }
  return out;
}

}  // namespace lmm::scale
