#include "scale/chunk_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "lmm/error.h"

namespace lmm::scale {
namespace {

[[noreturn]] void Fail(const std::string& path, const char* what) {
  throw DataError(path + ": " + what + ": " + std::strerror(errno));
}

int OpenOrThrow(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Fail(path, "cannot open");
  return fd;
}

// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
size_t ReadAt(int fd, const std::string& path, char* out, size_t count, int64_t offset) {
  size_t done = 0;
  while (done < count) {
    const ssize_t got = ::pread(fd, out + done, count - done, offset + static_cast<int64_t>(done));
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      Fail(path, "cannot read");
    }
    done += static_cast<size_t>(got);
  }
  return done;
}

// One past the last LF outside quotes in text[from, size), scanning from a row start at `from`;
// npos when there is none.
size_t LastRowEnd(const std::string& text, size_t from) {
  bool quoted = false;
  size_t last = std::string::npos;
  for (size_t i = from; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"')
      quoted = !quoted;
    else if (c == '\n' && !quoted)
      last = i + 1;
  }
  return last;
}

}  // namespace

CsvLayout ReadCsvLayout(const std::string& path) {
  CsvLayout layout;
  layout.path = path;
  const int fd = OpenOrThrow(path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw DataError(path + ": the streaming build (--memory-limit) needs a regular file");
  }
  layout.size = st.st_size;
  std::string head;
  bool quoted = false;
  for (int64_t offset = 0; offset < layout.size;) {
    char buffer[1 << 16];
    const size_t got = ReadAt(fd, path, buffer, sizeof buffer, offset);
    if (got == 0) break;
    for (size_t i = 0; i < got; ++i) {
      head.push_back(buffer[i]);
      if (buffer[i] == '"') quoted = !quoted;
      if (buffer[i] == '\n' && !quoted) {
        ::close(fd);
        layout.header = head;
        layout.data_begin = static_cast<int64_t>(head.size());
        return layout;
      }
    }
    offset += static_cast<int64_t>(got);
  }
  ::close(fd);
  if (head.empty()) throw DataError(path + ": the file is empty: expected a header row");
  layout.header = head + "\n";  // a header without data rows
  layout.data_begin = layout.size;
  return layout;
}

std::vector<int64_t> SplitCsvRanges(const CsvLayout& layout, int parts) {
  std::vector<int64_t> bounds = {layout.data_begin};
  const int fd = OpenOrThrow(layout.path);
  const int64_t span = layout.size - layout.data_begin;
  for (int k = 1; k < parts; ++k) {
    int64_t cut = std::max(bounds.back(), layout.data_begin + span * k / parts);
    // The byte after the first LF at or after the cut (or the end of the file).
    for (;;) {
      if (cut >= layout.size) break;
      char buffer[1 << 16];
      const size_t got = ReadAt(fd, layout.path, buffer, sizeof buffer, cut);
      const char* lf = static_cast<const char*>(std::memchr(buffer, '\n', got));
      if (lf != nullptr) {
        cut += (lf - buffer) + 1;
        break;
      }
      cut += static_cast<int64_t>(got);
      if (got == 0) break;
    }
    bounds.push_back(std::min(cut, layout.size));
  }
  ::close(fd);
  bounds.push_back(layout.size);
  return bounds;
}

ChunkReader::ChunkReader(const CsvLayout& layout, int64_t begin, int64_t end, int64_t chunk_bytes)
    : path_(layout.path),
      header_(layout.header),
      fd_(OpenOrThrow(layout.path)),
      pos_(begin),
      end_(end),
      chunk_bytes_(std::max<int64_t>(chunk_bytes, 1)) {}

ChunkReader::~ChunkReader() {
  if (fd_ >= 0) ::close(fd_);
}

void ChunkReader::ReadMore(std::string* buffer, int64_t want) {
  const int64_t count = std::min(want, end_ - pos_);
  if (count <= 0) return;
  const size_t old = buffer->size();
  buffer->resize(old + static_cast<size_t>(count));
  const size_t got = ReadAt(fd_, path_, buffer->data() + old, static_cast<size_t>(count), pos_);
  buffer->resize(old + got);
  pos_ += static_cast<int64_t>(got);
  if (got < static_cast<size_t>(count)) end_ = pos_;  // the file is shorter than it was
}

bool ChunkReader::Next(std::string* chunk) {
  if (pos_ >= end_ && carry_.empty()) return false;
  chunk->assign(header_);
  const size_t rows_begin = chunk->size();
  chunk->append(carry_);
  carry_.clear();
  int64_t want = std::max<int64_t>(chunk_bytes_ - static_cast<int64_t>(chunk->size()), 1 << 12);
  for (;;) {
    ReadMore(chunk, want);
    if (pos_ >= end_) return chunk->size() > rows_begin;
    const size_t cut = LastRowEnd(*chunk, rows_begin);
    if (cut != std::string::npos) {
      carry_.assign(*chunk, cut, std::string::npos);
      chunk->resize(cut);
      return true;
    }
    want = std::max<int64_t>(want, static_cast<int64_t>(chunk->size()));  // a very long row
  }
}

}  // namespace lmm::scale
