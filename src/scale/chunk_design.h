// Pass 2's rows: the fixed-effects row x_i (every column model.matrix makes, before aliasing), the
// response y_i, the random-effect row z_i and the cluster (level of the grouping factor) of each
// used row of one parsed chunk, numbered exactly as the in-memory model frame numbers them.
//
// How: the chunk's columns are put behind K "exemplar" rows in which every level of every factor
// of the design occurs (level i mod L in row i); the design code of the in-memory path
// (design::BuildTermColumns) then sees all levels in every chunk and codes factors exactly as it
// does on the whole data (treatment contrasts drop the first level present), and the exemplar
// rows are cut off again. Categorical codes are remapped to the scan's global level lists.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "lmm/data_frame.h"
#include "scale/stream_schema.h"

namespace lmm::scale {

struct ChunkRows {
  Eigen::MatrixXd x;             // used rows x all fixed-effects columns
  Eigen::VectorXd y;             // used rows
  Eigen::MatrixXd z;             // used rows x q
  std::vector<int64_t> cluster;  // used rows: 0-based level of the grouping factor
};

class ChunkDesigner {
 public:
  // Throws lmm::Error(kUsage) when the model has more random-effect columns or fixed effects than
  // the per-cluster kernels take (kernels::kMaxClusterQ, kMaxClusterW).
  explicit ChunkDesigner(const StreamSchema& schema);

  // `data` is a chunk parsed by ParseChunk.
  ChunkRows Build(const DataFrame& data) const;

  const std::vector<std::string>& fixed_names() const { return fixed_names_; }
  const std::vector<int>& fixed_term() const { return fixed_term_; }
  const std::vector<std::string>& z_names() const { return z_names_; }
  int64_t clusters() const { return static_cast<int64_t>(cluster_labels_.size()); }
  // R's labels of the grouping factor's levels, in level order.
  const std::vector<std::string>& cluster_labels() const { return cluster_labels_; }

 private:
  DataFrame Combine(const DataFrame& data) const;

  const StreamSchema& schema_;
  int64_t exemplars_ = 1;
  DataFrame exemplar_;
  std::vector<std::string> fixed_names_, z_names_;
  std::vector<int> fixed_term_;
  std::vector<std::string> cluster_labels_;
  std::unordered_map<double, int64_t> numeric_cluster_;
};

}  // namespace lmm::scale
