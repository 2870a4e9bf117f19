// GPU pass of the small-sample variance pieces of a one-term model (kernels/variance_kernels.h):
// uploads the per-cluster triangular factors of [Z_c X_c e_c] once (kernels/variance_math.h),
// runs the launches and returns the cluster sums. Plain C++ (no CUDA types): called from src/inference/ddf/ under
// #if LMM_HAVE_CUDA. The caller maps the sums into VariancePieces (variance_pieces.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "likelihood/status.h"

namespace lmm::gpu {

// Host arrays in the layout of kernels::VarianceClusterView (entry e of cluster c at
// [e * clusters + c]).
struct GpuVarianceInput {
  int64_t clusters = 0;
  int q = 0, w = 0, nr = 0;
  std::vector<double> lambda;    // q x q column-major, lower triangular
  std::vector<double> patterns;  // nr x (q x q)
  std::vector<double> tz;        // q*q x clusters
  std::vector<double> tzx;       // q*w x clusters
  std::vector<double> tx;        // PackedSize(w) x clusters
};

struct GpuVarianceSums {
  std::vector<double> pieces;   // VarianceMatrixPieces(nr) x w x w (piece * w^2 + a + b w)
  std::vector<double> scalars;  // VarianceScalars(nr); the last counts failing clusters
  std::string device;           // name of the device that ran
};

// kUnsupported without a usable device or for shapes beyond the kernels' limits; kDevice for
// runtime failures (out of memory included).
Status ComputeGpuVarianceSums(const GpuVarianceInput& in, GpuVarianceSums* out);

}  // namespace lmm::gpu
