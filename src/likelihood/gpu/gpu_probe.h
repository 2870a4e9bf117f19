// Whether the GPU backend can fit a model here, and if not, why (for --backend gpu's message and
// --backend auto's choice). Plain C++: usable from builds without CUDA.
#pragma once

#include <cstdint>
#include <string>

#include "cluster_math.h"
#include "lmm/model_frame.h"

namespace lmm {

struct GpuProbe {
  bool usable = false;
  std::string reason;        // when !usable: one line naming why
  std::string device;        // when a device was found: its name and index
  int64_t bytes_needed = 0;  // device memory the evaluator would allocate (0 if not computed)
};

// The checks in the order a user can act on them: CUDA compiled in, a device (the driver's reason
// when none), the model (one random-effect term, q <= 8, p < 32), free device memory (how much
// is needed and free). Defined beside the factory (likelihood/evaluator.cc), the one place that
// knows whether the CUDA backend is compiled in. Initializes the CUDA runtime when it is.
GpuProbe ProbeGpuBackend(const ModelFrame& frame);

// Empty when the GPU evaluator supports `frame`'s model, else why not.
inline std::string GpuModelUnsupportedReason(const ModelFrame& frame) {
  const std::string limits = "; the GPU backend supports one random-effect term with at most " +
                             std::to_string(kernels::kMaxClusterQ) + " columns and at most " +
                             std::to_string(kernels::kMaxClusterW - 1) + " fixed effects so far";
  if (frame.random.size() != 1)
    return "the model has " + std::to_string(frame.random.size()) + " random-effect terms" + limits;
  if (frame.random[0].q() > kernels::kMaxClusterQ)
    return "the term for " + frame.random[0].group + " has " + std::to_string(frame.random[0].q()) +
           " columns" + limits;
  if (frame.p() + 1 > kernels::kMaxClusterW)
    return "the model has " + std::to_string(frame.p()) + " fixed effects" + limits;
  return "";
}

}  // namespace lmm
