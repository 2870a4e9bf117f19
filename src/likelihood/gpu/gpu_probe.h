// Whether the GPU backend can fit a model here, and if not, why (for --backend gpu's message and
// --backend auto's choice). Plain C++: usable from builds without CUDA.
#pragma once

#include <cstdint>
#include <string>

#include "cluster_math.h"
#include "likelihood/cpu/cross_products.h"
#include "lmm/model_frame.h"
#include "model/theta_layout.h"

namespace lmm {

// --backend auto tries the GPU from this many rows on: below it a CPU evaluation takes about as
// long as the transfers and launches of a GPU one.
inline constexpr int64_t kAutoGpuMinRows = 100000;

// The note a fit reports when --backend auto stays on the CPU for a problem large enough for the
// GPU: empty when there is no device at all (nothing to say on a machine without one) or no CUDA
// build, else "the GPU backend was not used: REASON; fitted on the CPU".
inline std::string AutoFallbackNote(const std::string& device, const std::string& reason) {
  if (device.empty()) return "";
  return "the GPU backend was not used: " + reason + "; fitted on the CPU";
}

struct GpuProbe {
  bool usable = false;
  std::string reason;        // when !usable: one line naming why
  std::string device;        // when a device was found: its name and index
  int64_t bytes_needed = 0;  // device memory the evaluator would allocate (0 if not computed)
};

// The checks in the order a user can act on them: CUDA compiled in, a device (the driver's reason
// when none), the model (GpuModelUnsupportedReason), free device memory (how much is needed and
// free). Defined beside the factory (likelihood/evaluator.cc), the one place that
// knows whether the CUDA backend is compiled in. Initializes the CUDA runtime when it is.
GpuProbe ProbeGpuBackend(const ModelFrame& frame);

// Whether the model runs on the one-term kernels (kernels/cluster_kernels.h: everything per
// cluster, a (p+1) x (p+1) finish) rather than the multi-term ones (kernels/level_kernels.h: block
// 0 per level, then a dense Schur complement factored by cuSOLVER).
inline bool UsesOneTermKernels(const ModelFrame& frame) {
  return frame.random.size() == 1 && frame.p() + 1 <= kernels::kMaxClusterW;
}

// m of the multi-term evaluators: the random effects of every term but the one with the most
// levels, plus p + 1 (the columns of the dense Schur complement S).
inline int64_t DenseRestSize(const ModelFrame& frame) {
  const ThetaLayout layout(frame);
  int64_t m = frame.p() + 1;
  for (size_t b = 1; b < layout.order().size(); ++b) {
    const RandomEffectTerm& t = frame.random[layout.order()[b]];
    m += t.levels * t.q();
  }
  return m;
}

// Empty when the GPU evaluator supports `frame`'s model, else why not. Block 0 (the term with the
// most levels) is factored per level in registers (at most kMaxClusterQ columns); the other terms
// and [X y] form one dense m x m Schur complement (cpu::kMaxGpuDenseRest; device memory, which
// the probe checks, is the real limit: MultiTermDeviceBytesBound).
inline std::string GpuModelUnsupportedReason(const ModelFrame& frame) {
  if (frame.random.empty()) return "the model has no random-effect term";
  const ThetaLayout layout(frame);
  const RandomEffectTerm& t0 = frame.random[layout.order()[0]];
  if (t0.q() > kernels::kMaxClusterQ)
    return "the term for " + t0.group + " has " + std::to_string(t0.q()) +
           " columns; the GPU backend supports at most " + std::to_string(kernels::kMaxClusterQ) +
           " columns in the term with the most levels";
  if (UsesOneTermKernels(frame)) return "";
  const int64_t mt = DenseRestSize(frame) - frame.p() - 1;
  if (mt + frame.p() + 1 > cpu::kMaxGpuDenseRest)
    return "the terms after " + t0.group + " have " + std::to_string(mt) +
           " random effects in all; the GPU backend factors them (with the fixed effects) as one "
           "dense matrix and accepts at most " +
           std::to_string(cpu::kMaxGpuDenseRest - frame.p() - 1);
  return "";
}

// An upper bound of the device memory (bytes) of the multi-term evaluator, from the frame alone:
// per level of block 0 its D_c and offsets; the panels (source and solved) with at most
// n sum_{b>=1} q_b + l0 (p+1) rows in all (and at most m per level); their row and column-item
// indices; A and S (m x m each); 64 MiB for cuSOLVER's workspace (its exact size is known only
// once a handle exists; the evaluator checks it then).
inline int64_t MultiTermDeviceBytesBound(const ModelFrame& frame) {
  const ThetaLayout layout(frame);
  const RandomEffectTerm& t0 = frame.random[layout.order()[0]];
  const int64_t l0 = t0.levels, q0 = t0.q(), w = frame.p() + 1;
  int64_t mt = 0, q_rest = 0;
  for (size_t b = 1; b < layout.order().size(); ++b) {
    const RandomEffectTerm& t = frame.random[layout.order()[b]];
    mt += t.levels * t.q();
    q_rest += t.q();
  }
  const int64_t m = mt + w;
  int64_t rows = frame.n() * q_rest + l0 * w;
  if (l0 > 0 && rows / l0 > m) rows = l0 * m;
  const int64_t per_level = q0 * q0 * 8 + 3 * 8 + 8 + 1;
  const int64_t per_row = 2 * q0 * 8 + 3 * 4 + 4;
  return l0 * per_level + rows * per_row + 2 * m * m * 8 + m * (2 * 4 + 8) + (int64_t{64} << 20);
}

}  // namespace lmm
