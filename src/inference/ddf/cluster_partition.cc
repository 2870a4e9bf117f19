#include "inference/ddf/cluster_partition.h"

#include <algorithm>

namespace lmm::inference::ddf {
namespace {

// cluster_of[t][level] when every level of every term lies in one level of term `top`; empty when
// some level of some term spans two.
std::vector<std::vector<int64_t>> NestedIn(const ModelFrame& frame, int top) {
  const RandomEffectTerm& g = frame.random[static_cast<size_t>(top)];
  std::vector<std::vector<int64_t>> cluster_of;
  for (const RandomEffectTerm& re : frame.random) {
    std::vector<int64_t> of(static_cast<size_t>(re.levels), -1);
    for (size_t i = 0; i < re.level.size(); ++i) {
      int64_t& c = of[static_cast<size_t>(re.level[i])];
      if (c < 0)
        c = g.level[i];
      else if (c != g.level[i])
        return {};
    }
    if (std::find(of.begin(), of.end(), -1) != of.end()) return {};  // a level with no rows
    cluster_of.push_back(std::move(of));
  }
  return cluster_of;
}

}  // namespace

ClusterPartition PartitionClusters(const ModelFrame& frame) {
  ClusterPartition p;
  const int terms = static_cast<int>(frame.random.size());
  const int64_t n = frame.n();
  int top = 0;
  for (int t = 1; t < terms; ++t)
    if (frame.random[t].levels < frame.random[top].levels) top = t;
  std::vector<std::vector<int64_t>> cluster_of;
  if (terms > 0) cluster_of = NestedIn(frame, top);
  p.nested = !cluster_of.empty();
  if (!p.nested) {
    cluster_of.clear();
    for (const RandomEffectTerm& re : frame.random)
      cluster_of.emplace_back(static_cast<size_t>(re.levels), 0);
  }
  p.clusters = p.nested ? frame.random[top].levels : 1;
  const auto clusters = static_cast<size_t>(p.clusters);

  // Rows by cluster (counting sort keeps row order within a cluster).
  std::vector<int64_t> row_cluster(static_cast<size_t>(n), 0);
  if (p.nested)
    for (int64_t i = 0; i < n; ++i)
      row_cluster[i] = frame.random[top].level[static_cast<size_t>(i)];
  p.row_start.assign(clusters + 1, 0);
  for (int64_t c : row_cluster) ++p.row_start[static_cast<size_t>(c) + 1];
  for (size_t c = 0; c < clusters; ++c) p.row_start[c + 1] += p.row_start[c];
  p.rows.resize(static_cast<size_t>(n));
  {
    std::vector<int64_t> next(p.row_start.begin(), p.row_start.end() - 1);
    for (int64_t i = 0; i < n; ++i) p.rows[next[row_cluster[i]]++] = i;
  }

  // Blocks by cluster: term by term, level by level.
  p.block_start.assign(clusters + 1, 0);
  for (int t = 0; t < terms; ++t)
    for (int64_t c : cluster_of[t]) ++p.block_start[static_cast<size_t>(c) + 1];
  for (size_t c = 0; c < clusters; ++c) p.block_start[c + 1] += p.block_start[c];
  p.blocks.resize(static_cast<size_t>(p.block_start.back()));
  p.size.assign(clusters, 0);
  p.local_offset.resize(static_cast<size_t>(terms));
  std::vector<int64_t> next(p.block_start.begin(), p.block_start.end() - 1);
  for (int t = 0; t < terms; ++t) {
    const RandomEffectTerm& re = frame.random[t];
    p.local_offset[t].resize(static_cast<size_t>(re.levels));
    for (int64_t l = 0; l < re.levels; ++l) {
      const auto c = static_cast<size_t>(cluster_of[t][static_cast<size_t>(l)]);
      ClusterPartition::Block& b = p.blocks[static_cast<size_t>(next[c]++)];
      b.term = t;
      b.level = static_cast<int32_t>(l);
      b.local = p.size[c];
      p.local_offset[t][static_cast<size_t>(l)] = p.size[c];
      p.size[c] += re.q();
    }
  }
  return p;
}

void RowEffects(const ModelFrame& frame, const ClusterPartition& partition, int64_t i,
                std::vector<int>* idx, std::vector<double>* val) {
  idx->clear();
  val->clear();
  for (size_t t = 0; t < frame.random.size(); ++t) {
    const RandomEffectTerm& re = frame.random[t];
    const int off =
        partition.local_offset[t][static_cast<size_t>(re.level[static_cast<size_t>(i)])];
    for (int j = 0; j < re.q(); ++j) {
      idx->push_back(off + j);
      val->push_back(re.z(i, j));
    }
  }
}

void ClusterCrossProducts(const ModelFrame& frame, const ClusterPartition& partition, int64_t c,
                          const Eigen::MatrixXd& f, Eigen::MatrixXd* ztz, Eigen::MatrixXd* ztf) {
  const int qc = partition.size[static_cast<size_t>(c)];
  ztz->setZero(qc, qc);
  ztf->setZero(qc, f.cols());
  std::vector<int> idx;
  std::vector<double> val;
  for (int64_t k = partition.row_start[static_cast<size_t>(c)];
       k < partition.row_start[static_cast<size_t>(c) + 1]; ++k) {
    const int64_t i = partition.rows[static_cast<size_t>(k)];
    RowEffects(frame, partition, i, &idx, &val);
    for (size_t a = 0; a < idx.size(); ++a) {
      for (size_t b = 0; b < idx.size(); ++b) (*ztz)(idx[a], idx[b]) += val[a] * val[b];
      ztf->row(idx[a]) += val[a] * f.row(i);
    }
  }
}

}  // namespace lmm::inference::ddf
