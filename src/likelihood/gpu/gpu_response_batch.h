// CUDA implementation of ResponseBatch (likelihood/response_batch.h): many responses sharing one
// one-term design, evaluated at their own Lambdas in one launch (kernels/response_kernels.h).
//
// Create(): the design's packed cross-products (D_c, X_c'Z_c) are uploaded once and stay
// resident. LoadGroup(): the group's y'Z_c (q x clusters per slot) are uploaded, once per group.
// Evaluate(K slots): the K slot indices and K Lambdas (q x q each) go down, two launches run, and
// K x ((p+1)(p+2)/2 + 1) reduced numbers plus K failure flags come back; nothing of size n or of
// size clusters crosses PCIe per evaluation. The (p+1) x (p+1) finish runs on the host, in each
// fit (LockstepEvaluator).
//
// Plain C++ header (the CUDA state is behind Device, defined in gpu_response_batch.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "likelihood/gpu/cluster_pack.h"
#include "likelihood/response_batch.h"

namespace lmm {

class GpuResponseBatch final : public ResponseBatch {
 public:
  // Device memory of a batch of `capacity` slots on `design` (bytes).
  static int64_t DeviceBytes(const gpu::HostClusters& design, int capacity);
  // Up to `capacity` slots, fewer when free device memory is short (at least 1). Returns nullptr
  // and sets *status when no device is usable, the design is not one the kernels take (q >
  // kMaxClusterQ or w > kMaxClusterW) or memory is short even for one slot.
  static std::unique_ptr<GpuResponseBatch> Create(gpu::HostClusters design, int capacity,
                                                  Status* status);
  ~GpuResponseBatch() override;

  int capacity() const override { return capacity_; }
  const kernels::ClusterView& design() const override { return view_; }
  Status LoadGroup(std::span<const ResponsePieces* const> pieces) override;
  Status Evaluate(std::span<const int> slots, std::span<const double> lambdas,
                  std::vector<gpu::ClusterReduction>* out) override;

  const std::string& device_name() const;

 private:
  struct Device;
  GpuResponseBatch(gpu::HostClusters design, int capacity);
  Status Init();

  std::unique_ptr<Device> dev_;
  gpu::HostClusters design_;
  kernels::ClusterView view_;  // host copy's view (for design())
  int capacity_;
  std::vector<double> yz_;       // upload staging, ResponseView layout
  std::vector<double> results_;  // capacity x ReducedEntries(w), as downloaded
  std::vector<long long> failed_;
};

}  // namespace lmm
