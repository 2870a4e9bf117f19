// The device side of the GPU evaluators' Probe (GpuEvaluator, GpuResidualEvaluator): the checks
// of gpu_probe.h's ProbeGpuBackend after "CUDA compiled in", in the order a user can act on them.
// Link only in CUDA builds.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "likelihood/gpu/gpu_probe.h"

namespace lmm::gpu {

// A usable device (else the runtime's reason); then `model_reason()` (empty: the model is
// supported); then `bytes_needed()` (called only for a supported model) against the device's free
// memory. The memory line reads "the model <needs> X MiB; ..." (e.g. needs = "needs up to" for a
// bound). Initializes the CUDA runtime; allocates nothing on the device.
GpuProbe ProbeDevice(const std::function<std::string()>& model_reason,
                     const std::function<int64_t()>& bytes_needed, const std::string& needs);

}  // namespace lmm::gpu
