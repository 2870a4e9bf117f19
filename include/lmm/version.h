// Build and runtime facts for `lmmgpu --version`.
#pragma once

#include <string>

namespace lmm {

// Multi-line text: version, build type, whether the CUDA backend is compiled in, the CUDA runtime
// and driver versions, and the devices seen (or why none).
std::string VersionReport();

}  // namespace lmm
