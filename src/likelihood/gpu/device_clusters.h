// A one-term model's per-cluster cross-products resident on one device, and the cluster pass over
// them by consecutive blocks of clusters, each block's sums kept apart. GpuEvaluator reduces all
// clusters at once; the streamed fit (scale/stream_evaluator.h) needs the sums of blocks of
// scale::kClusterBlock clusters, which it adds in block order across MPI ranks so that any number
// of processes gives the same bits.
//
// Per ReduceBlocks: Lambda goes down, two launches for all blocks (kernels/cluster_kernels.h)
// write each block's reduced entries into its own slot, and one copy brings every block's
// ReducedEntries(w) + 1 numbers back. Nothing of size n crosses PCIe per evaluation.
//
// Plain C++ header (the CUDA state is behind Device, defined in device_clusters.cc); link only in
// CUDA builds.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "likelihood/gpu/cluster_pack.h"
#include "likelihood/gpu/one_term_host.h"
#include "likelihood/status.h"

namespace lmm::gpu {

class DeviceClusters {
 public:
  // Device memory (bytes) that Create allocates for `host` and blocks of `block` clusters.
  static int64_t BytesNeeded(const HostClusters& host, int64_t block);
  // Uploads `host` to the calling thread's current device (GpuContext) in blocks of `block` (> 0)
  // clusters. kUnsupported when no device is usable or its free memory is short, kDevice when a
  // device call fails; `why` (if given) then gets a one-line message for the user (the runtime's
  // reason; for memory, how much is needed and free).
  static Status Create(const HostClusters& host, int64_t block,
                       std::unique_ptr<DeviceClusters>* out, std::string* why = nullptr);
  ~DeviceClusters();
  DeviceClusters(const DeviceClusters&) = delete;
  DeviceClusters& operator=(const DeviceClusters&) = delete;

  int64_t blocks() const;
  // Per block b (clusters [b * block, min((b + 1) * block, clusters))): the sums of HostClusterPass
  // over the block at Lambda (q x q column-major, host memory), in the kernels' fixed order.
  Status ReduceBlocks(const double* lambda, std::vector<ClusterReduction>* out);
  const std::string& device_name() const;  // "NAME (device N)"
  int64_t device_bytes() const { return device_bytes_; }

 private:
  struct Device;
  DeviceClusters();

  std::unique_ptr<Device> dev_;
  int64_t clusters_ = 0;
  int q_ = 0, w_ = 0;
  int64_t device_bytes_ = 0;
  std::string description_;
};

}  // namespace lmm::gpu
