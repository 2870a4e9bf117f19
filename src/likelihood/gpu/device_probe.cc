#include "likelihood/gpu/device_probe.h"

#include <fmt/format.h>

#include <memory>

#include "likelihood/gpu/gpu_context.h"

namespace lmm::gpu {

namespace {

double MiB(int64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

}  // namespace

GpuProbe ProbeDevice(const std::function<std::string()>& model_reason,
                     const std::function<int64_t()>& bytes_needed, const std::string& needs) {
  GpuProbe probe;
  std::unique_ptr<GpuContext> ctx;
  const Status status = GpuContext::Create(&ctx);
  if (!status.ok()) {
    probe.reason = fmt::format("no usable CUDA device ({})", status.what());
    return probe;
  }
  probe.device = ctx->Describe();
  probe.reason = model_reason();
  if (!probe.reason.empty()) return probe;
  probe.bytes_needed = bytes_needed();
  size_t free_bytes = 0, total_bytes = 0;
  const Status mem = ctx->MemoryInfo(&free_bytes, &total_bytes);
  if (!mem.ok()) {
    probe.reason = fmt::format("cannot query the memory of {} ({})", probe.device, mem.what());
    return probe;
  }
  if (probe.bytes_needed > static_cast<int64_t>(free_bytes)) {
    probe.reason = fmt::format(
        "not enough device memory: the model {} {:.1f} MiB; {:.1f} MiB of {:.1f} MiB are free on "
        "{}",
        needs, MiB(probe.bytes_needed), MiB(static_cast<int64_t>(free_bytes)),
        MiB(static_cast<int64_t>(total_bytes)), probe.device);
    return probe;
  }
  probe.usable = true;
  return probe;
}

}  // namespace lmm::gpu
