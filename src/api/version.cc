#include "lmm/version.h"

#include <fmt/format.h>

#ifdef LMM_HAVE_CUDA
#include "device_query.h"
#endif

namespace lmm {

std::string VersionReport() {
  std::string out = fmt::format("lmmgpu {}\nbuild type: {}\n", LMM_VERSION, LMM_BUILD_TYPE);
#ifdef LMM_HAVE_CUDA
  const kernels::CudaRuntimeInfo info = kernels::QueryCudaDevices();
  out += fmt::format("CUDA backend: compiled in (CUDA runtime {}.{})\n", info.runtime_version / 1000,
                     (info.runtime_version % 1000) / 10);
  if (info.devices.empty()) {
    out += fmt::format("CUDA devices: none ({})\n",
                       info.error.empty() ? "no device found" : info.error);
  } else {
    out += fmt::format("CUDA driver: {}.{}\n", info.driver_version / 1000,
                       (info.driver_version % 1000) / 10);
    for (const auto& d : info.devices)
      out += fmt::format("CUDA device {}: {} (sm_{}{}, {:.1f} GiB)\n", d.index, d.name, d.major,
                         d.minor, static_cast<double>(d.memory_bytes) / (1u << 30));
  }
#else
  out += "CUDA backend: not compiled in\n";
#endif
  return out;
}

}  // namespace lmm
