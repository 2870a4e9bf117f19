// Writing result files so that a reader never sees a half-written file and a failure never
// destroys what was there: write a temporary file beside the target, flush, then rename.
#pragma once

#include <string>
#include <string_view>

namespace lmm::io {

// A file being written. Append() writes to a temporary file beside `path`; Commit() flushes it and
// renames it over `path`. Destroyed without Commit() (an error on the way), it removes the
// temporary file and leaves `path` as it was. Errors throw lmm::Error(kData) naming the path.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void Append(std::string_view bytes);
  void Commit();

 private:
  [[noreturn]] void Fail(int err);

  std::string path_;
  std::string tmp_;
  int fd_ = -1;
};

// Replaces `path` with `contents` atomically (AtomicFile in one call).
void WriteFileAtomically(const std::string& path, std::string_view contents);

}  // namespace lmm::io
