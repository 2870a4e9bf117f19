// Plain C++ view of the CUDA runtime's device list (no CUDA headers), for `lmmgpu --version`.
#pragma once

#include <string>
#include <vector>

namespace lmm::kernels {

struct DeviceInfo {
  int index = 0;
  std::string name;
  int major = 0;  // compute capability
  int minor = 0;
  size_t memory_bytes = 0;
  // Peak DRAM bandwidth from the memory clock and bus width (double data rate): 2 clock width/8.
  double peak_bandwidth_bytes_per_s = 0;
};

struct CudaRuntimeInfo {
  int runtime_version = 0;  // e.g. 13000
  int driver_version = 0;   // 0 when no driver is installed
  std::string error;        // why no device was found, when none was
  std::vector<DeviceInfo> devices;
};

// Never throws: a machine without a driver or device reports an empty list and the reason.
CudaRuntimeInfo QueryCudaDevices();

}  // namespace lmm::kernels
