// Independent clusters of a mixed model: sets of rows whose random effects are shared with no
// other set, so that V = var(y) is block diagonal over them and every sum the DDF methods need
// is a sum of per-cluster pieces. When every random-effect term's grouping factor is nested in the
// term with the fewest levels (one grouping factor, (1 | g) + (0 + x | g), (1 | g/h)), the
// clusters are that factor's levels; otherwise (crossed factors) there is one cluster holding all
// rows and all random effects.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "lmm/model_frame.h"

namespace lmm::inference::ddf {

struct ClusterPartition {
  int64_t clusters = 0;
  // Rows of cluster c: rows[row_start[c] .. row_start[c+1]).
  std::vector<int64_t> row_start;
  std::vector<int64_t> rows;
  // Random-effect blocks of cluster c: blocks[block_start[c] .. block_start[c+1]), each one level
  // of one term, its q_t columns at `local` within the cluster's random effects.
  struct Block {
    int term = 0;
    int32_t level = 0;
    int local = 0;
  };
  std::vector<int64_t> block_start;
  std::vector<Block> blocks;
  std::vector<int> size;  // random effects per cluster
  // local_offset[t][level]: the column of (t, level) within its cluster.
  std::vector<std::vector<int>> local_offset;
  bool nested = false;  // clusters are levels of a grouping factor (else one cluster)
};

ClusterPartition PartitionClusters(const ModelFrame& frame);

// The random-effect entries of used row i: columns `idx` (within its cluster) and values `val`.
void RowEffects(const ModelFrame& frame, const ClusterPartition& partition, int64_t i,
                std::vector<int>* idx, std::vector<double>* val);

// Z_c'Z_c (q_c x q_c) and Z_c'F_c (q_c x F.cols()) of cluster c, F with one row per used row.
void ClusterCrossProducts(const ModelFrame& frame, const ClusterPartition& partition, int64_t c,
                          const Eigen::MatrixXd& f, Eigen::MatrixXd* ztz, Eigen::MatrixXd* ztf);

}  // namespace lmm::inference::ddf
