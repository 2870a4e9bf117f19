#include "likelihood/gpu/gpu_row_pass.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <numeric>
#include <utility>

#include "likelihood/gpu/cuda_status.h"
#include "row_pass_kernels.h"

namespace lmm::gpu {
namespace {

// Page-locked host memory (cudaHostAlloc), so that cudaMemcpyAsync from it is a true
// asynchronous DMA transfer.
template <typename T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() {
    if (data_ != nullptr) cudaFreeHost(data_);
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  Status Allocate(size_t size) {
    void* p = nullptr;
    const cudaError_t error =
        cudaHostAlloc(&p, std::max<size_t>(size, 1) * sizeof(T), cudaHostAllocDefault);
    if (error != cudaSuccess) {
      cudaGetLastError();  // not sticky; clear it so that later launch checks do not report it
      return CudaStatus(error);
    }
    data_ = static_cast<T*>(p);
    size_ = size;
    return Status::Ok();
  }
  T* get() const { return data_; }
  size_t bytes() const { return size_ * sizeof(T); }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

// The copy stream, the per-buffer events, and the teardown order: both streams are drained
// before any buffer they may still use is released (members of RunDeviceRowPass's locals are
// destroyed after this object, which is declared last). The events carry timing: each chunk's
// upload (copy stream) and kernels (compute stream) are timed on the device.
class Pipeline {
 public:
  explicit Pipeline(cudaStream_t compute) : compute_(compute) {}
  ~Pipeline() {
    if (copy_ != nullptr) cudaStreamSynchronize(copy_);
    cudaStreamSynchronize(compute_);
    for (cudaEvent_t e : events_)
      if (e != nullptr) cudaEventDestroy(e);
    if (copy_ != nullptr) cudaStreamDestroy(copy_);
  }
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  Status Create() {
    LMM_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithFlags(&copy_, cudaStreamNonBlocking));
    for (cudaEvent_t& e : events_) LMM_CUDA_RETURN_IF_ERROR(cudaEventCreate(&e));
    return Status::Ok();
  }
  cudaStream_t copy() const { return copy_; }
  cudaEvent_t copy_start(int b) const { return events_[b]; }
  cudaEvent_t copied(int b) const { return events_[2 + b]; }  // upload into buffer b finished
  cudaEvent_t kernel_start(int b) const { return events_[4 + b]; }
  cudaEvent_t consumed(int b) const { return events_[6 + b]; }  // kernels reading b finished

  // Waits for the last chunk through buffer b and adds its upload and kernel times (seconds).
  Status AddTimes(int b, double* upload_s, double* kernel_s) const {
    LMM_CUDA_RETURN_IF_ERROR(cudaEventSynchronize(consumed(b)));
    float ms = 0;
    LMM_CUDA_RETURN_IF_ERROR(cudaEventElapsedTime(&ms, copy_start(b), copied(b)));
    *upload_s += 1e-3 * ms;
    LMM_CUDA_RETURN_IF_ERROR(cudaEventElapsedTime(&ms, kernel_start(b), consumed(b)));
    *kernel_s += 1e-3 * ms;
    return Status::Ok();
  }

 private:
  cudaStream_t compute_;
  cudaStream_t copy_ = nullptr;
  cudaEvent_t events_[8] = {};
};

}  // namespace

int64_t DeviceRowPassPeakBytes(const ModelFrame& frame, const RowPassOptions& options) {
  const RandomEffectTerm& t = frame.random.at(0);
  const int q = t.q(), w = frame.p() + 1;
  const int64_t chunk = PlanChunkRows(frame.n(), q, w, options);
  return RowPassResidentBytes(t.levels, q, w) + RowPassFixedBytes(w) +
         chunk * ChunkDeviceBytesPerRow(q, w) + 4096;
}

Status RunDeviceRowPass(const ModelFrame& frame, const cpu::CenteringInfo& centering,
                        const RowPassOptions& options, cudaStream_t stream, bool sync_each_launch,
                        cpu::ThreadPool* pool, DeviceRowPassOutput* out) {
  using kernels::PackedSize;
  const auto start = std::chrono::steady_clock::now();
  const RandomEffectTerm& t = frame.random.at(0);
  const int64_t n = frame.n(), clusters = t.levels;
  const int q = t.q(), w = frame.p() + 1, cols = q + w;
  const int64_t chunk = PlanChunkRows(n, q, w, options);
  const int key_bits = KeyBits(clusters);
  const int xx_entries = PackedSize(w);
  RowPassStats& stats = out->stats;
  stats = RowPassStats{};
  stats.on_device = true;
  stats.rows = n;
  stats.chunk_rows = chunk;
  stats.chunks = (n + chunk - 1) / chunk;

  // Resident: the per-cluster sums, zeroed.
  for (const Status& s : {out->d.Allocate(static_cast<size_t>(PackedSize(q) * clusters)),
                          out->panel.Allocate(static_cast<size_t>(w * q * clusters))})
    if (!s.ok()) return s;
  LMM_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(out->d.get(), 0, out->d.bytes(), stream));
  LMM_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(out->panel.get(), 0, out->panel.bytes(), stream));
  stats.resident_bytes = static_cast<int64_t>(out->d.bytes() + out->panel.bytes());

  // Chunk buffers and scratch (freed on return, after the pipeline has drained).
  DeviceBuffer<double> d_raw[2], d_sorted, d_shift, d_xx_partials, d_xx_total;
  DeviceBuffer<uint32_t> d_level[2], d_keys;
  DeviceBuffer<int32_t> d_iota, d_perm;
  DeviceBuffer<unsigned char> d_sort_temp;
  PinnedBuffer<double> h_raw[2];
  PinnedBuffer<uint32_t> h_level[2];
  // CUB's scratch for the two chunk lengths that occur (full and last), at least 16 bytes (a null
  // scratch pointer would make the sort a size query).
  size_t sort_temp_bytes = 16, bytes = 0;
  for (const int64_t len : {chunk, n % chunk}) {
    if (len == 0) continue;
    LMM_CUDA_RETURN_IF_ERROR(kernels::RowPassSortTempBytes(len, key_bits, &bytes));
    sort_temp_bytes = std::max(sort_temp_bytes, bytes);
  }
  const size_t raw_size = static_cast<size_t>(cols) * chunk;
  for (const Status& s :
       {d_raw[0].Allocate(raw_size), d_raw[1].Allocate(raw_size), d_level[0].Allocate(chunk),
        d_level[1].Allocate(chunk), d_keys.Allocate(chunk), d_iota.Allocate(chunk),
        d_perm.Allocate(chunk), d_sorted.Allocate(raw_size), d_sort_temp.Allocate(sort_temp_bytes),
        d_shift.Allocate(w),
        d_xx_partials.Allocate(static_cast<size_t>(2 * xx_entries) * kernels::kXxMaxBlocks),
        d_xx_total.Allocate(2 * xx_entries), h_raw[0].Allocate(raw_size),
        h_raw[1].Allocate(raw_size), h_level[0].Allocate(chunk), h_level[1].Allocate(chunk)})
    if (!s.ok()) return s;
  stats.staging_device_bytes = static_cast<int64_t>(
      d_raw[0].bytes() + d_raw[1].bytes() + d_level[0].bytes() + d_level[1].bytes() +
      d_keys.bytes() + d_iota.bytes() + d_perm.bytes() + d_sorted.bytes() + d_sort_temp.bytes() +
      d_shift.bytes() + d_xx_partials.bytes() + d_xx_total.bytes());
  stats.pinned_host_bytes = static_cast<int64_t>(h_raw[0].bytes() + h_raw[1].bytes() +
                                                 h_level[0].bytes() + h_level[1].bytes());
  Pipeline pipe(stream);  // declared after the buffers: drains the streams before they are freed
  Status s = pipe.Create();
  if (!s.ok()) return s;

  // Constants: the shifts, the row indices 0..chunk-1 the sort permutes, a zero running total.
  const std::vector<double> shift = ShiftVector(centering);
  std::vector<int32_t> iota(chunk);
  std::iota(iota.begin(), iota.end(), 0);
  s = d_shift.CopyFromHost(shift.data(), shift.size(), stream);
  if (!s.ok()) return s;
  s = d_iota.CopyFromHost(iota.data(), iota.size(), stream);
  if (!s.ok()) return s;
  LMM_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(d_xx_total.get(), 0, d_xx_total.bytes(), stream));
  LMM_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));  // `iota` is pageable and local

  kernels::RowPassChunkArgs args;
  args.q = q;
  args.w = w;
  args.d_shift = d_shift.get();
  args.d_iota = d_iota.get();
  args.d_keys = d_keys.get();
  args.d_perm = d_perm.get();
  args.d_sorted = d_sorted.get();
  args.d_sort_temp = d_sort_temp.get();
  args.sort_temp_bytes = sort_temp_bytes;
  args.key_bits = key_bits;
  args.sums = {clusters, q, w, out->d.get(), out->panel.get()};
  args.d_xx_partials = d_xx_partials.get();
  args.d_xx_total = d_xx_total.get();

  const int p = w - 1;
  const int64_t slices = pool != nullptr ? pool->size() : 1;
  for (int64_t k = 0; k < stats.chunks; ++k) {
    const int b = static_cast<int>(k & 1);
    const int64_t r0 = k * chunk, len = std::min(chunk, n - r0);
    // Pinned buffer b is free once chunk k - 2's upload from it has finished.
    if (k >= 2) LMM_CUDA_RETURN_IF_ERROR(cudaEventSynchronize(pipe.copied(b)));
    // Columns z, x, y with leading dimension len, then the levels (checked >= 0), copied by
    // `slices` tasks per column.
    double* h = h_raw[b].get();
    uint32_t* hl = h_level[b].get();
    auto stage = [&](int64_t task) {
      const int col = static_cast<int>(task / slices);
      const int64_t i0 = len * (task % slices) / slices, i1 = len * (task % slices + 1) / slices;
      if (col == cols) {
        std::memcpy(hl + i0, t.level.data() + r0 + i0, (i1 - i0) * 4);
        return;
      }
      const double* src = col < q       ? t.z.data() + col * n
                          : col < q + p ? frame.x.data() + (col - q) * n
                                        : frame.y.data();
      std::memcpy(h + col * len + i0, src + r0 + i0, (i1 - i0) * 8);
    };
    if (pool != nullptr) {
      pool->ParallelFor((cols + 1) * slices, stage);
    } else {
      for (int64_t task = 0; task < (cols + 1) * slices; ++task) stage(task);
    }
    // Device buffer b is free once chunk k - 2's kernels have run (and their times can be read
    // before its events are recorded again).
    if (k >= 2) {
      s = pipe.AddTimes(b, &stats.upload_seconds, &stats.kernel_seconds);
      if (!s.ok()) return s;
    }
    LMM_CUDA_RETURN_IF_ERROR(cudaEventRecord(pipe.copy_start(b), pipe.copy()));
    LMM_CUDA_RETURN_IF_ERROR(
        cudaMemcpyAsync(d_raw[b].get(), h, cols * len * 8, cudaMemcpyHostToDevice, pipe.copy()));
    LMM_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(d_level[b].get(), h_level[b].get(), len * 4,
                                             cudaMemcpyHostToDevice, pipe.copy()));
    LMM_CUDA_RETURN_IF_ERROR(cudaEventRecord(pipe.copied(b), pipe.copy()));
    stats.upload_bytes += (cols * 8 + 4) * len;

    LMM_CUDA_RETURN_IF_ERROR(cudaStreamWaitEvent(stream, pipe.copied(b), 0));
    LMM_CUDA_RETURN_IF_ERROR(cudaEventRecord(pipe.kernel_start(b), stream));
    args.len = len;
    args.ld = len;
    args.d_raw = d_raw[b].get();
    args.d_level = d_level[b].get();
    LMM_CUDA_RETURN_IF_ERROR(kernels::LaunchRowPassChunk(args, stream, sync_each_launch));
    LMM_CUDA_RETURN_IF_ERROR(cudaEventRecord(pipe.consumed(b), stream));
  }

  std::vector<double> total(2 * xx_entries);
  s = d_xx_total.CopyToHost(total.data(), total.size(), stream);
  if (!s.ok()) return s;
  LMM_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
  for (int64_t k = std::max<int64_t>(stats.chunks - 2, 0); k < stats.chunks; ++k) {
    s = pipe.AddTimes(static_cast<int>(k & 1), &stats.upload_seconds, &stats.kernel_seconds);
    if (!s.ok()) return s;
  }
  out->xx.resize(xx_entries);
  for (int e = 0; e < xx_entries; ++e) out->xx[e] = total[2 * e] + total[2 * e + 1];
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::Ok();
}

}  // namespace lmm::gpu
