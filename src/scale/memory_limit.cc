#include "scale/memory_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "lmm/error.h"

namespace lmm::scale {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kMinimumLimit = 64 * kMiB;

[[noreturn]] void Bad(const std::string& text, const std::string& why) {
  throw UsageError("--memory-limit '" + text + "': " + why +
                   " (expected a size such as 2G, 512M or a number of bytes)");
}

}  // namespace

int64_t ParseMemoryLimit(const std::string& text) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double number = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(number) || number <= 0) Bad(text, "not a positive size");
  std::string suffix(end);
  for (char& c : suffix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (suffix.size() > 1 && (suffix.ends_with("IB") || suffix.ends_with("B")))
    suffix.resize(suffix.size() - (suffix.ends_with("IB") ? 2 : 1));
  double scale = 1;
  if (suffix == "K")
    scale = 1024.0;
  else if (suffix == "M")
    scale = 1024.0 * 1024;
  else if (suffix == "G")
    scale = 1024.0 * 1024 * 1024;
  else if (suffix == "T")
    scale = 1024.0 * 1024 * 1024 * 1024;
  else if (!suffix.empty() && suffix != "B")
    Bad(text, "unknown unit '" + std::string(end) + "'");
  const double bytes = number * scale;
  if (bytes > 9.0e18) Bad(text, "too large");
  if (bytes < static_cast<double>(kMinimumLimit)) Bad(text, "less than the minimum of 64M");
  return static_cast<int64_t>(bytes);
}

int64_t ChunkBytes(int64_t limit, int64_t table_bytes) {
  const int64_t left = limit - kMinimumLimit / 2 - table_bytes;
  return std::clamp<int64_t>(left / 8, kMiB, 256 * kMiB);
}

int64_t PeakRssBytes() {
  struct rusage usage {};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return -1;
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;  // Linux: kilobytes
}

}  // namespace lmm::scale
