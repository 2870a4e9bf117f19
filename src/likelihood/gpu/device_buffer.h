// DeviceBuffer<T>: the one owner of device memory. Move-only; freed by the destructor. Every
// operation returns a Status (cuda_status.h); copies are asynchronous on the given stream.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <utility>

#include "likelihood/gpu/cuda_status.h"

namespace lmm::gpu {

template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  ~DeviceBuffer() { Reset(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : d_data_(std::exchange(other.d_data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      Reset();
      d_data_ = std::exchange(other.d_data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }

  // Frees what it held and allocates `size` elements (none for 0). Out of device memory is a
  // kDevice status with a message that says so.
  Status Allocate(size_t size) {
    Reset();
    if (size == 0) return Status::Ok();
    void* p = nullptr;
    const cudaError_t error = cudaMalloc(&p, size * sizeof(T));
    if (error == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // not sticky; clear it so that later calls do not report it
      return Status::Error(Status::Code::kDevice,
                           "out of device memory for the GPU evaluator's buffers (the probe's "
                           "estimate was too low, or another process took the memory); "
                           "--backend cpu runs on the host");
    }
    LMM_CUDA_RETURN_IF_ERROR(error);
    d_data_ = static_cast<T*>(p);
    size_ = size;
    return Status::Ok();
  }
  // The first `count` (<= size()) elements from/to host memory.
  Status CopyFromHost(const T* host, size_t count, cudaStream_t stream) {
    if (count == 0) return Status::Ok();
    LMM_CUDA_RETURN_IF_ERROR(
        cudaMemcpyAsync(d_data_, host, count * sizeof(T), cudaMemcpyHostToDevice, stream));
    return Status::Ok();
  }
  Status CopyToHost(T* host, size_t count, cudaStream_t stream) const {
    if (count == 0) return Status::Ok();
    LMM_CUDA_RETURN_IF_ERROR(
        cudaMemcpyAsync(host, d_data_, count * sizeof(T), cudaMemcpyDeviceToHost, stream));
    return Status::Ok();
  }

  T* get() const { return d_data_; }
  size_t size() const { return size_; }
  size_t bytes() const { return size_ * sizeof(T); }

  void Reset() {
    if (d_data_ != nullptr) cudaFree(d_data_);
    d_data_ = nullptr;
    size_ = 0;
  }

 private:
  T* d_data_ = nullptr;  // device memory
  size_t size_ = 0;
};

// Bytes held by several buffers (device memory reports).
template <typename... Buffers>
int64_t TotalBytes(const Buffers&... buffers) {
  return (int64_t{0} + ... + static_cast<int64_t>(buffers.bytes()));
}

}  // namespace lmm::gpu
