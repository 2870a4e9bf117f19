// Reads a CSV file's data rows chunk by chunk with bounded memory (pread into a buffer, never a
// mapping of the whole file, so that resident memory does not grow with the file).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lmm::scale {

// The header line (with its line end) and where the data rows start and end.
struct CsvLayout {
  std::string path;
  std::string header;
  int64_t data_begin = 0;
  int64_t size = 0;
};

// Throws lmm::Error(kData) when the file cannot be read or has no header line.
CsvLayout ReadCsvLayout(const std::string& path);

// Boundaries b_0 = data_begin < ... < b_parts = size of `parts` byte ranges of about equal size,
// each starting at a line start: b_k is the byte after the first LF at or after the k-th equal cut.
// Assumes no line end inside a quoted field (the ranges of MPI ranks).
std::vector<int64_t> SplitCsvRanges(const CsvLayout& layout, int parts);

class ChunkReader {
 public:
  // Rows in bytes [begin, end) of the file; begin must be a line start. Chunks hold about
  // chunk_bytes of rows (more when a single row is longer).
  ChunkReader(const CsvLayout& layout, int64_t begin, int64_t end, int64_t chunk_bytes);
  ~ChunkReader();
  ChunkReader(const ChunkReader&) = delete;
  ChunkReader& operator=(const ChunkReader&) = delete;

  // The next chunk: the header line followed by whole rows (a row ends at an LF outside quotes).
  // Returns false when the range is exhausted.
  bool Next(std::string* chunk);

 private:
  void ReadMore(std::string* buffer, int64_t want);

  std::string path_;
  std::string header_;
  int fd_ = -1;
  int64_t pos_ = 0, end_ = 0, chunk_bytes_ = 0;
  std::string carry_;  // rows read but not yet returned
};

}  // namespace lmm::scale
