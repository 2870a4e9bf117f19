#include "batch/job_inputs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

namespace lmm::batch {

FileFingerprint FingerprintFile(const std::string& path) {
  FileFingerprint print;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return print;
  uint64_t h = 14695981039346656037ULL;
  int64_t size = 0;
  std::vector<unsigned char> buffer(1 << 20);
  bool ok = true;
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      ok = false;
      break;
    }
    if (n == 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      h ^= buffer[static_cast<size_t>(i)];
      h *= 1099511628211ULL;
    }
    size += n;
  }
  ::close(fd);
  if (!ok) return print;
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  print.size = size;
  print.fnv1a64 = text;
  return print;
}

FileFingerprint FingerprintCache::Get(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return FileFingerprint{};
  const int64_t mtime_ns =
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = entries_.find(path);
    if (it != entries_.end() && it->second.size == st.st_size && it->second.mtime_ns == mtime_ns)
      return it->second.print;
  }
  const FileFingerprint print = FingerprintFile(path);
  std::lock_guard<std::mutex> lock(mutex_);
  entries_[path] = Entry{static_cast<int64_t>(st.st_size), mtime_ns, print};
  return print;
}

nlohmann::json InputsRecord(const BatchJob& job, const nlohmann::json& canonical_options,
                            FingerprintCache& cache) {
  const FileFingerprint print = cache.Get(job.data);
  return {{"data", job.data},
          {"data_size", print.size},
          {"data_fnv1a64", print.fnv1a64},
          {"formula", job.formula},
          {"options", canonical_options}};
}

}  // namespace lmm::batch
