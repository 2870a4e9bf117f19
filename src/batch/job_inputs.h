// What a job's result depends on, recorded in the result so that --resume can tell whether it is
// still current: the data file's bytes (size and FNV-1a 64 hash), the formula and the options.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "batch/manifest.h"

namespace lmm::batch {

// FNV-1a 64 (Fowler, Noll, Vo; offset basis 14695981039346656037, prime 1099511628211) of a file's
// bytes, as 16 lowercase hex digits, with its size. Missing or unreadable file: size -1 and the
// hash "missing".
struct FileFingerprint {
  int64_t size = -1;
  std::string fnv1a64 = "missing";
};

FileFingerprint FingerprintFile(const std::string& path);

// Fingerprints shared by the jobs of one run: a file is hashed once while its size and
// modification time stay the same. Thread-safe.
class FingerprintCache {
 public:
  FileFingerprint Get(const std::string& path);

 private:
  struct Entry {
    int64_t size = -1;
    int64_t mtime_ns = 0;
    FileFingerprint print;
  };
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

// {"data": path, "data_size": n, "data_fnv1a64": "...", "formula": "...", "options": {...}}.
nlohmann::json InputsRecord(const BatchJob& job, const nlohmann::json& canonical_options,
                            FingerprintCache& cache);

}  // namespace lmm::batch
