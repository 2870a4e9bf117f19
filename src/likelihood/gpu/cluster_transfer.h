// Moving a one-term model's per-cluster cross-products (gpu::HostClusters' d and panel arrays,
// ClusterView layout) between host and device. CUDA builds only (device_buffer.h).
#pragma once

#include <cuda_runtime_api.h>

#include "likelihood/gpu/cluster_pack.h"
#include "likelihood/gpu/device_buffer.h"
#include "likelihood/status.h"

namespace lmm::gpu {

// Allocates *d and *panel as host's arrays and copies them on `stream`. Asynchronous: synchronize
// the stream before host's arrays change or go away.
inline Status UploadClusters(const HostClusters& host, cudaStream_t stream, DeviceBuffer<double>* d,
                             DeviceBuffer<double>* panel) {
  Status s = d->Allocate(host.d.size());
  if (s.ok()) s = panel->Allocate(host.panel.size());
  if (s.ok()) s = d->CopyFromHost(host.d.data(), host.d.size(), stream);
  if (s.ok()) s = panel->CopyFromHost(host.panel.data(), host.panel.size(), stream);
  return s;
}

// Sizes host's d and panel as the device arrays and copies them back on `stream` (host's
// clusters, q and w are the caller's). Asynchronous: synchronize the stream before reading them.
inline Status DownloadClusters(const DeviceBuffer<double>& d, const DeviceBuffer<double>& panel,
                               cudaStream_t stream, HostClusters* host) {
  host->d.resize(d.size());
  host->panel.resize(panel.size());
  Status s = d.CopyToHost(host->d.data(), host->d.size(), stream);
  if (s.ok()) s = panel.CopyToHost(host->panel.data(), host->panel.size(), stream);
  return s;
}

}  // namespace lmm::gpu
