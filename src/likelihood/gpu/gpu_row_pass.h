// The device one-time pass of a one-term model (DESIGN.md sec. 4 and 5: the one pass over the
// data, here on the GPU): the frame's rows go up in chunks through two pinned staging buffers on
// a copy stream, so that the upload of chunk k + 1 overlaps the kernels of chunk k (compute
// stream); each chunk is grouped by cluster and added to the resident per-cluster D_c, G_c and to
// [X y]'[X y] (kernels/row_pass_kernels.h). Centers: the CPU pass's (RowPassCentering), so that
// the GPU and CPU evaluators see the same cross-products.
//
// Memory: the resident sums (RowPassResidentBytes) stay for the evaluations; the chunk buffers
// (about options.device_budget_bytes), the sort scratch and the two pinned host buffers are freed
// on return. RowPassStats reports all of them.
#pragma once

#include <cuda_runtime_api.h>

#include <vector>

#include "likelihood/gpu/device_buffer.h"
#include "likelihood/gpu/row_pass_host.h"
#include "likelihood/status.h"
#include "lmm/model_frame.h"

namespace lmm::gpu {

struct DeviceRowPassOutput {
  DeviceBuffer<double> d;      // PackedSize(q) x clusters (ClusterView layout), device
  DeviceBuffer<double> panel;  // w q x clusters, device
  std::vector<double> xx;      // PackedSize(w): [X y]'[X y], packed lower triangle, host
  RowPassStats stats;
};

// Device bytes the pass needs at its peak (resident, fixed and chunk buffers; the radix sort's
// scratch estimated), for the chunk size PlanChunkRows gives.
int64_t DeviceRowPassPeakBytes(const ModelFrame& frame, const RowPassOptions& options);

// Runs the pass for `frame` (one random-effect term, checked by CheckOneTermFrame; q <=
// kMaxClusterQ, p + 1 <= kMaxClusterW) with `centering` (RowPassCentering(frame)). Kernels run
// on `stream`; the function returns after the stream has finished. `pool` (optional) copies each
// chunk into the pinned staging buffer in parallel (the host copy bounds the pass's speed when
// done by one thread). Device failures (out of memory included) are a kDevice status.
Status RunDeviceRowPass(const ModelFrame& frame, const cpu::CenteringInfo& centering,
                        const RowPassOptions& options, cudaStream_t stream, bool sync_each_launch,
                        cpu::ThreadPool* pool, DeviceRowPassOutput* out);

}  // namespace lmm::gpu
