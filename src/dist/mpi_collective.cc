#include "dist/mpi_collective.h"

#if LMM_HAVE_MPI
#include <climits>
#include <cstring>

#include "lmm/error.h"

namespace lmm::dist {
namespace {

int Count(size_t n) {
  if (n > static_cast<size_t>(INT_MAX))
    throw Error(ErrorKind::kInternal, "MPI message of more than 2^31 elements");
  return static_cast<int>(n);
}

// Displacements of concatenated pieces of the given sizes.
std::vector<int> Offsets(const std::vector<int>& counts) {
  std::vector<int> offsets(counts.size(), 0);
  for (size_t r = 1; r < counts.size(); ++r) offsets[r] = offsets[r - 1] + counts[r - 1];
  return offsets;
}

}  // namespace

MpiCollective::MpiCollective(MPI_Comm comm) : comm_(comm) {
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
}

void MpiCollective::SumInt64(std::span<int64_t> values) {
  MPI_Allreduce(MPI_IN_PLACE, values.data(), Count(values.size()), MPI_INT64_T, MPI_SUM, comm_);
}

void MpiCollective::SumLongDouble(std::span<long double> values) {
  const int n = Count(values.size());
  std::vector<long double> all(static_cast<size_t>(n) * static_cast<size_t>(size_));
  MPI_Allgather(values.data(), n, MPI_LONG_DOUBLE, all.data(), n, MPI_LONG_DOUBLE, comm_);
  for (int i = 0; i < n; ++i) {
    long double s = 0;
    for (int r = 0; r < size_; ++r) s += all[static_cast<size_t>(r) * n + i];
    values[static_cast<size_t>(i)] = s;
  }
}

void MpiCollective::MinDouble(std::span<double> values) {
  MPI_Allreduce(MPI_IN_PLACE, values.data(), Count(values.size()), MPI_DOUBLE, MPI_MIN, comm_);
}

void MpiCollective::MaxDouble(std::span<double> values) {
  MPI_Allreduce(MPI_IN_PLACE, values.data(), Count(values.size()), MPI_DOUBLE, MPI_MAX, comm_);
}

std::vector<double> MpiCollective::GatherDoubles(std::span<const double> local) {
  int mine = Count(local.size());
  std::vector<int> counts(static_cast<size_t>(size_));
  MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_);
  const std::vector<int> offsets = Offsets(counts);
  std::vector<double> all(static_cast<size_t>(offsets.back() + counts.back()));
  MPI_Allgatherv(local.data(), mine, MPI_DOUBLE, all.data(), counts.data(), offsets.data(),
                 MPI_DOUBLE, comm_);
  return all;
}

std::vector<char> MpiCollective::GatherBytes(const std::vector<char>& local) {
  int mine = Count(local.size());
  std::vector<int> counts(static_cast<size_t>(size_));
  MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_);
  const std::vector<int> offsets = Offsets(counts);
  std::vector<char> all(static_cast<size_t>(offsets.back() + counts.back()));
  MPI_Allgatherv(local.data(), mine, MPI_CHAR, all.data(), counts.data(), offsets.data(), MPI_CHAR,
                 comm_);
  return all;
}

std::vector<std::string> MpiCollective::GatherStrings(const std::vector<std::string>& local) {
  // Each string as an 8-byte length and its bytes.
  std::vector<char> bytes;
  for (const std::string& s : local) {
    const uint64_t n = s.size();
    const char* p = reinterpret_cast<const char*>(&n);
    bytes.insert(bytes.end(), p, p + sizeof n);
    bytes.insert(bytes.end(), s.begin(), s.end());
  }
  const std::vector<char> all = GatherBytes(bytes);
  std::vector<std::string> out;
  for (size_t at = 0; at < all.size();) {
    uint64_t n = 0;
    std::memcpy(&n, all.data() + at, sizeof n);
    at += sizeof n;
    out.emplace_back(all.data() + at, static_cast<size_t>(n));
    at += static_cast<size_t>(n);
  }
  return out;
}

std::vector<long double> MpiCollective::SumScatter(std::vector<long double> table,
                                                   int64_t per_cluster, int64_t clusters) {
  std::vector<int> counts(static_cast<size_t>(size_));
  for (int r = 0; r < size_; ++r) {
    const auto [first, last] = scale::ClusterShare(clusters, r, size_);
    counts[static_cast<size_t>(r)] = Count(static_cast<size_t>((last - first) * per_cluster));
  }
  std::vector<long double> mine(static_cast<size_t>(counts[static_cast<size_t>(rank_)]));
  MPI_Reduce_scatter(table.data(), mine.data(), counts.data(), MPI_LONG_DOUBLE, MPI_SUM, comm_);
  return mine;
}

}  // namespace lmm::dist
#endif
