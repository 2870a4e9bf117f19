// scale::Collective over an MPI communicator (only in builds with LMM_HAVE_MPI).
#pragma once

#if LMM_HAVE_MPI
#include <mpi.h>

#include "scale/collective.h"

namespace lmm::dist {

class MpiCollective final : public scale::Collective {
 public:
  explicit MpiCollective(MPI_Comm comm);

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void SumInt64(std::span<int64_t> values) override;
  // MPI_Allgather, then the sum in rank order on every rank: MPI_Allreduce may add in a
  // different order on different ranks.
  void SumLongDouble(std::span<long double> values) override;
  void MinDouble(std::span<double> values) override;
  void MaxDouble(std::span<double> values) override;
  std::vector<double> GatherDoubles(std::span<const double> local) override;
  std::vector<std::string> GatherStrings(const std::vector<std::string>& local) override;
  // MPI_Reduce_scatter with each rank's share of clusters (scale::ClusterShare).
  std::vector<long double> SumScatter(std::vector<long double> table, int64_t per_cluster,
                                      int64_t clusters) override;

 private:
  std::vector<char> GatherBytes(const std::vector<char>& local);

  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
};

}  // namespace lmm::dist
#endif
