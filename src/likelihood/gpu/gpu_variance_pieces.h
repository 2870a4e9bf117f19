// GPU pass of the small-sample variance pieces of a one-term model (kernels/variance_kernels.h):
// uploads the rows [z x e] grouped by cluster once, runs the launches (per-cluster QR factors,
// kernels/variance_math.h, then the pieces) and returns the cluster sums. Plain C++ (no CUDA
// types): called from src/inference/ddf/ under #if LMM_HAVE_CUDA. The caller maps the sums into
// VariancePieces (variance_pieces.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "likelihood/status.h"

namespace lmm::gpu {

// Host arrays: lambda and patterns column-major; rows row-major, q + w doubles per row, cluster c
// at rows [row_start[c], row_start[c + 1]).
struct GpuVarianceInput {
  int64_t clusters = 0;
  int q = 0, w = 0, nr = 0;
  std::vector<double> lambda;      // q x q column-major, lower triangular
  std::vector<double> patterns;    // nr x (q x q)
  std::vector<double> rows;        // n x (q + w)
  std::vector<int64_t> row_start;  // clusters + 1
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
