// Writing result files so that a reader never sees a half-written file and a failure never
// destroys what was there: write a temporary file beside the target, flush, then rename.
#pragma once

#include <string>
#include <string_view>

namespace lmm::io {

// A file being written. Append() writes to a temporary file beside `path`; Commit() flushes it and
// renames it over `path`. Destroyed without Commit() (an error on the way), it removes the
// temporary file and leaves `path` as it was. A symbolic link is followed: the file it points to is
// replaced, the link kept. /dev/stdout, /dev/stderr and /dev/fd/N write to that descriptor (where
// the shell sent it), and a `path` that exists and is not a regular file (a terminal, a pipe,
// /dev/null) cannot be replaced: both are written in place, without the all-or-nothing guarantee. A
// directory is an error. Errors throw lmm::Error(kData) naming the path.
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

  std::string path_;    // as given, for messages
  std::string target_;  // what is replaced: path_, or the file a symbolic link points to
  std::string tmp_;
  int fd_ = -1;
  bool in_place_ = false;  // a target that is not a regular file, written directly
};

// Replaces `path` with `contents` atomically (AtomicFile in one call).
void WriteFileAtomically(const std::string& path, std::string_view contents);

}  // namespace lmm::io
