// Collective operations among the processes that share one streaming fit (MPI ranks, src/dist/).
// The base class is the single-process case, where every operation is the identity. Every process
// must make the same calls in the same order with the same lengths.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace lmm::scale {

class Collective {
 public:
  virtual ~Collective() = default;

  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }

  // In place: element-wise sum (or min, max) over the processes, bitwise identical on every
  // process (the long double sums are added in rank order), so that all processes take the same
  // decisions and optimizer steps.
  virtual void SumInt64(std::span<int64_t> values) {}
  virtual void SumLongDouble(std::span<long double> values) {}
  virtual void MinDouble(std::span<double> values) {}
  virtual void MaxDouble(std::span<double> values) {}
  // The processes' vectors concatenated in rank order, on every process.
  virtual std::vector<double> GatherDoubles(std::span<const double> local) {
    return {local.begin(), local.end()};
  }
  virtual std::vector<std::string> GatherStrings(const std::vector<std::string>& local) {
    return local;
  }
  // `table` holds `per_cluster` values for each of `clusters` clusters (cluster-major, the same
  // length on every process). Returns the element-wise sum over the processes of the clusters in
  // this process' share (ClusterShare), consuming the table.
  virtual std::vector<long double> SumScatter(std::vector<long double> table, int64_t per_cluster,
                                              int64_t clusters) {
    return table;
  }
};

// Clusters are evaluated in blocks of this many, aligned the same way whatever the number of
// processes, and the blocks' sums are added in block order: the objective is then bitwise the
// same for any number of processes (given the same per-cluster pieces).
inline constexpr int64_t kClusterBlock = 1024;

// Clusters [first, second) evaluated by process `rank` of `size`: contiguous shares of about equal
// numbers of whole blocks (kClusterBlock).
inline std::pair<int64_t, int64_t> ClusterShare(int64_t clusters, int rank, int size) {
  const int64_t blocks = (clusters + kClusterBlock - 1) / kClusterBlock;
  const auto start = [&](int r) { return std::min(clusters, blocks * r / size * kClusterBlock); };
  return {start(rank), start(rank + 1)};
}

}  // namespace lmm::scale
