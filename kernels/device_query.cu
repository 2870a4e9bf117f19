#include <cuda_runtime.h>

#include "device_query.h"

namespace lmm::kernels {

CudaRuntimeInfo QueryCudaDevices() {
  CudaRuntimeInfo info;
  cudaRuntimeGetVersion(&info.runtime_version);
  if (cudaDriverGetVersion(&info.driver_version) != cudaSuccess) info.driver_version = 0;
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    info.error = cudaGetErrorString(status);
    cudaGetLastError();  // clear the sticky error
    return info;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    int clock_khz = 0, bus_bits = 0;
    if (cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, i) != cudaSuccess ||
        cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, i) != cudaSuccess)
      clock_khz = bus_bits = 0;
    const double peak = 2.0 * clock_khz * 1e3 * bus_bits / 8.0;
    info.devices.push_back({i, prop.name, prop.major, prop.minor, prop.totalGlobalMem, peak});
  }
  return info;
}

}  // namespace lmm::kernels
