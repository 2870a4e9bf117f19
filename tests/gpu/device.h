// Run-time device check of the GPU test suites (built only with LMM_HAVE_CUDA): every test that
// needs a device starts with LMM_SKIP_WITHOUT_DEVICE(), so that CI without a GPU skips them.
#pragma once

#include <cuda_runtime_api.h>

#include <string>

namespace lmm::test {

// Empty when a device is usable, else the runtime's reason.
inline std::string NoDeviceReason() {
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess) {
    cudaGetLastError();
    return cudaGetErrorString(error);
  }
  return count == 0 ? "no CUDA device found" : "";
}

}  // namespace lmm::test

#define LMM_SKIP_WITHOUT_DEVICE()                                                      \
  do {                                                                                 \
    const std::string lmm_no_device_ = ::lmm::test::NoDeviceReason();                  \
    if (!lmm_no_device_.empty()) GTEST_SKIP() << "no CUDA device: " << lmm_no_device_; \
  } while (false)
