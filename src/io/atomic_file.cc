#include "io/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "lmm/error.h"

namespace lmm::io {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  const std::filesystem::path target(path_);
  const std::filesystem::path dir =
      target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::string name = target.filename().string();
  name.insert(0, 1, '.');
  name.append(".tmp.XXXXXX");
  tmp_ = (dir / name).string();
  fd_ = mkstemp(tmp_.data());
  if (fd_ < 0) {
    tmp_.clear();
    Fail(errno);
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

void AtomicFile::Fail(int err) {
  throw DataError(fmt::format("{}: cannot write: {}", path_, std::strerror(err)));
}

void AtomicFile::Append(std::string_view bytes) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      Fail(errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void AtomicFile::Commit() {
  ::fchmod(fd_, 0644);
  if (::fsync(fd_) != 0) Fail(errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) Fail(errno);
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) Fail(errno);
  tmp_.clear();
}

void WriteFileAtomically(const std::string& path, std::string_view contents) {
  AtomicFile file(path);
  file.Append(contents);
  file.Commit();
}

}  // namespace lmm::io
