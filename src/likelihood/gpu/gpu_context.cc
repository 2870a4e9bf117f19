#include "likelihood/gpu/gpu_context.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "likelihood/gpu/cuda_status.h"

namespace lmm::gpu {
namespace {

// This process' rank among the MPI ranks of its node, from the launcher's environment (OpenMPI,
// MPICH/Intel MPI, Slurm), or -1 when not launched by one.
int LocalRank() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    char* end = nullptr;
    const long rank = std::strtol(value, &end, 10);
    if (*end == '\0' && rank >= 0) return static_cast<int>(rank);
  }
  return -1;
}

}  // namespace

Status GpuContext::Create(std::unique_ptr<GpuContext>* out) {
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error
    return Status::Error(Status::Code::kUnsupported, cudaGetErrorString(error));
  }
  if (count == 0) return Status::Error(Status::Code::kUnsupported, "no CUDA device found");
  // Ranks of one node spread over its devices (rank r on device r mod count); CUDA_VISIBLE_DEVICES
  // still decides which devices a rank sees.
  const int local_rank = LocalRank();
  if (local_rank >= 0) LMM_CUDA_RETURN_IF_ERROR(cudaSetDevice(local_rank % count));
  std::unique_ptr<GpuContext> ctx(new GpuContext());
  LMM_CUDA_RETURN_IF_ERROR(cudaGetDevice(&ctx->device_));
  cudaDeviceProp prop{};
  LMM_CUDA_RETURN_IF_ERROR(cudaGetDeviceProperties(&prop, ctx->device_));
  ctx->device_name_ = prop.name;
  LMM_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithFlags(&ctx->stream_, cudaStreamNonBlocking));
  const char* sync = std::getenv("LMMGPU_SYNC_LAUNCHES");
  ctx->sync_each_launch_ = sync != nullptr && std::strcmp(sync, "1") == 0;
  *out = std::move(ctx);
  return Status::Ok();
}

GpuContext::~GpuContext() {
  if (solver_params_ != nullptr) cusolverDnDestroyParams(solver_params_);
  if (solver_ != nullptr) cusolverDnDestroy(solver_);
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

Status GpuContext::CreateSolver() {
  if (solver_ != nullptr) return Status::Ok();
  // All three or none: a handle left without its stream or parameters would make a later call
  // succeed with a solver on the default stream or null parameters.
  cusolverDnHandle_t handle = nullptr;
  cusolverDnParams_t params = nullptr;
  cusolverStatus_t status = cusolverDnCreate(&handle);
  if (status == CUSOLVER_STATUS_SUCCESS) status = cusolverDnSetStream(handle, stream_);
  if (status == CUSOLVER_STATUS_SUCCESS) status = cusolverDnCreateParams(&params);
  if (status != CUSOLVER_STATUS_SUCCESS) {
    if (params != nullptr) cusolverDnDestroyParams(params);
    if (handle != nullptr) cusolverDnDestroy(handle);
    return CusolverStatus(status);
  }
  solver_ = handle;
  solver_params_ = params;
  return Status::Ok();
}

std::string GpuContext::Describe() const {
  return device_name_ + " (device " + std::to_string(device_) + ")";
}

Status GpuContext::Synchronize() const {
  LMM_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream_));
  return Status::Ok();
}

Status GpuContext::MemoryInfo(size_t* free_bytes, size_t* total_bytes) const {
  LMM_CUDA_RETURN_IF_ERROR(cudaMemGetInfo(free_bytes, total_bytes));
  return Status::Ok();
}

}  // namespace lmm::gpu
