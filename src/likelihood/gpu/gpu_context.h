// The CUDA state one GPU evaluator owns: the device it runs on, its stream and (for models with
// more than one random-effect term) the cuSOLVER dense handle bound to that stream.
#pragma once

#include <cuda_runtime_api.h>
#include <cusolverDn.h>

#include <memory>
#include <string>

#include "likelihood/status.h"

namespace lmm::gpu {

class GpuContext {
 public:
  // Uses the calling thread's current device (0 unless the process selected another) and creates
  // a non-blocking stream; a process started by an MPI launcher (OMPI_COMM_WORLD_LOCAL_RANK,
  // MPI_LOCALRANKID or SLURM_LOCALID set) first selects device local_rank mod count, so that the
  // ranks of a node use different GPUs. Fails with the runtime's reason when no device is usable.
  static Status Create(std::unique_ptr<GpuContext>* out);
  ~GpuContext();
  GpuContext(const GpuContext&) = delete;
  GpuContext& operator=(const GpuContext&) = delete;

  cudaStream_t stream() const { return stream_; }
  // Creates the cuSOLVER handle on the stream and the 64-bit API's parameters (once; later calls
  // do nothing).
  Status CreateSolver();
  cusolverDnHandle_t solver() const { return solver_; }  // null before CreateSolver()
  // The 64-bit API's parameters (default algorithms), created with the handle.
  cusolverDnParams_t solver_params() const { return solver_params_; }
  int device() const { return device_; }
  const std::string& device_name() const { return device_name_; }
  std::string Describe() const;  // "NAME (device N)"
  // Debug option: synchronize after every kernel launch so that a failing launch is reported
  // where it happened. On when the environment sets LMMGPU_SYNC_LAUNCHES=1.
  bool sync_each_launch() const { return sync_each_launch_; }

  Status Synchronize() const;
  Status MemoryInfo(size_t* free_bytes, size_t* total_bytes) const;

 private:
  GpuContext() = default;

  int device_ = 0;
  std::string device_name_;
  cudaStream_t stream_ = nullptr;
  cusolverDnHandle_t solver_ = nullptr;
  cusolverDnParams_t solver_params_ = nullptr;
  bool sync_each_launch_ = false;
};

}  // namespace lmm::gpu
