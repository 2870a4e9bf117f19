// The one check of CUDA runtime, cuBLAS and cuSOLVER calls: a failed call becomes a returned
// Status of kind kDevice (no exceptions or aborts cross the evaluator interface). The message is
// cudaGetErrorString's text or a literal naming the library status, which have static storage as
// Status requires.
#pragma once

#include <cuda_runtime_api.h>
#include <cusolverDn.h>

#include "likelihood/status.h"

namespace lmm::gpu {

inline Status CudaStatus(cudaError_t error) {
  return Status::Error(Status::Code::kDevice, cudaGetErrorString(error));
}

// cuSOLVER has no string function; the names are those of cusolver_common.h.
inline Status CusolverStatus(cusolverStatus_t status) {
  const char* what = "cuSOLVER: error";
  switch (status) {
    case CUSOLVER_STATUS_NOT_INITIALIZED:
      what = "cuSOLVER: CUSOLVER_STATUS_NOT_INITIALIZED";
      break;
    case CUSOLVER_STATUS_ALLOC_FAILED:
      what = "cuSOLVER: CUSOLVER_STATUS_ALLOC_FAILED (out of device memory)";
      break;
    case CUSOLVER_STATUS_INVALID_VALUE:
      what = "cuSOLVER: CUSOLVER_STATUS_INVALID_VALUE";
      break;
    case CUSOLVER_STATUS_ARCH_MISMATCH:
      what = "cuSOLVER: CUSOLVER_STATUS_ARCH_MISMATCH";
      break;
    case CUSOLVER_STATUS_EXECUTION_FAILED:
      what = "cuSOLVER: CUSOLVER_STATUS_EXECUTION_FAILED";
      break;
    case CUSOLVER_STATUS_INTERNAL_ERROR:
      what = "cuSOLVER: CUSOLVER_STATUS_INTERNAL_ERROR";
      break;
    default:
      break;
  }
  return Status::Error(Status::Code::kDevice, what);
}

}  // namespace lmm::gpu

// Evaluates `expr` (a cudaError_t) and returns its Status from the enclosing function on failure.
#define LMM_CUDA_RETURN_IF_ERROR(expr)                                                  \
  do {                                                                                  \
    const cudaError_t lmm_cuda_error_ = (expr);                                         \
    if (lmm_cuda_error_ != cudaSuccess) return ::lmm::gpu::CudaStatus(lmm_cuda_error_); \
  } while (false)

// The same for a cusolverStatus_t.
#define LMM_CUSOLVER_RETURN_IF_ERROR(expr)                     \
  do {                                                         \
    const cusolverStatus_t lmm_cusolver_status_ = (expr);      \
    if (lmm_cusolver_status_ != CUSOLVER_STATUS_SUCCESS)       \
      return ::lmm::gpu::CusolverStatus(lmm_cusolver_status_); \
  } while (false)
