#include "likelihood/gpu/gpu_context.h"

#include <cstdlib>
#include <cstring>

#include "likelihood/gpu/cuda_status.h"

namespace lmm::gpu {

Status GpuContext::Create(std::unique_ptr<GpuContext>* out) {
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error
    return Status::Error(Status::Code::kUnsupported, cudaGetErrorString(error));
  }
  if (count == 0) return Status::Error(Status::Code::kUnsupported, "no CUDA device found");
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
  if (solver_ != nullptr) cusolverDnDestroy(solver_);
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

Status GpuContext::CreateSolver() {
  if (solver_ != nullptr) return Status::Ok();
  LMM_CUSOLVER_RETURN_IF_ERROR(cusolverDnCreate(&solver_));
  LMM_CUSOLVER_RETURN_IF_ERROR(cusolverDnSetStream(solver_, stream_));
  return Status::Ok();
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
