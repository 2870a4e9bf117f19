// ReadCsv: the file's bytes (memory-mapped when it is a regular file), then ParseCsv.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "io/csv_parse.h"
#include "lmm/data_frame.h"
#include "lmm/error.h"

namespace lmm {

namespace {

// Owns an open descriptor and, when mapped, the mapping.
class FileBytes {
 public:
  explicit FileBytes(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) Fail("cannot open");
    struct stat st {};
    if (::fstat(fd_, &st) != 0) Fail("cannot read");
    if (S_ISDIR(st.st_mode)) {
      errno = EISDIR;
      Fail("cannot read");
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
      size_ = static_cast<size_t>(st.st_size);
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd_, 0);
      if (p != MAP_FAILED) {
        map_ = static_cast<const char*>(p);
        return;
      }
    }
    // Pipes, special files, or a failed mapping: read to the end.
    char buffer[1 << 16];
    for (;;) {
      const ssize_t got = ::read(fd_, buffer, sizeof buffer);
      if (got == 0) break;
      if (got < 0) {
        if (errno == EINTR) continue;
        Fail("cannot read");
      }
      copy_.append(buffer, static_cast<size_t>(got));
    }
  }
  ~FileBytes() {
    if (map_ != nullptr) ::munmap(const_cast<char*>(map_), size_);
    if (fd_ >= 0) ::close(fd_);
  }
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;

  std::string_view bytes() const {
    return map_ != nullptr ? std::string_view(map_, size_) : std::string_view(copy_);
  }

 private:
  [[noreturn]] void Fail(const char* what) {
    const std::string reason = std::strerror(errno);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    throw DataError(path_ + ": " + what + ": " + reason);
  }

  std::string path_;
  int fd_ = -1;
  const char* map_ = nullptr;
  size_t size_ = 0;
  std::string copy_;
};

}  // namespace

DataFrame ReadCsv(const std::string& path, const CsvOptions& options) {
  FileBytes file(path);
  return ParseCsv(file.bytes(), path, options);
}

}  // namespace lmm
