// The one check of CUDA runtime calls: a failed call becomes a returned Status (no exceptions or
// aborts cross the evaluator interface). The message is cudaGetErrorString's text, which has
// static storage as Status requires.
#pragma once

#include <cuda_runtime_api.h>

#include "likelihood/status.h"

namespace lmm::gpu {

inline Status CudaStatus(cudaError_t error) {
  return Status::Error(Status::Code::kUnsupported, cudaGetErrorString(error));
}

}  // namespace lmm::gpu

// Evaluates `expr` (a cudaError_t) and returns its Status from the enclosing function on failure.
#define LMM_CUDA_RETURN_IF_ERROR(expr)                                                  \
  do {                                                                                  \
    const cudaError_t lmm_cuda_error_ = (expr);                                         \
    if (lmm_cuda_error_ != cudaSuccess) return ::lmm::gpu::CudaStatus(lmm_cuda_error_); \
  } while (false)
