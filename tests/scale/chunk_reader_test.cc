#include "scale/chunk_reader.h"

#include <gtest/gtest.h>

#include "support/cli_runner.h"

namespace lmm::scale {
namespace {

using lmm::testing::TempDir;

// The rows of all chunks, without their header copies.
std::string Rows(const CsvLayout& layout, int64_t begin, int64_t end, int64_t chunk_bytes,
                 int* chunks) {
  ChunkReader reader(layout, begin, end, chunk_bytes);
  std::string chunk, rows;
  *chunks = 0;
  while (reader.Next(&chunk)) {
    EXPECT_EQ(chunk.compare(0, layout.header.size(), layout.header), 0);
    const std::string body = chunk.substr(layout.header.size());
    EXPECT_FALSE(body.empty());
    if (begin + static_cast<int64_t>(rows.size() + body.size()) < end) {
      EXPECT_EQ(body.back(), '\n') << "a chunk ends inside a row";
    }
    rows += body;
    ++*chunks;
  }
  return rows;
}

TEST(ChunkReader, ChunksHoldWholeRowsAndReassembleTheFile) {
  TempDir dir;
  std::string body;
  for (int i = 0; i < 2000; ++i) body += std::to_string(i) + ",\"a\nb" + std::to_string(i) + "\"\n";
  const std::string path = dir.Write("d.csv", "x,s\n" + body);
  const CsvLayout layout = ReadCsvLayout(path);
  EXPECT_EQ(layout.header, "x,s\n");
  EXPECT_EQ(layout.data_begin, 4);
  for (int64_t chunk_bytes : {1, 7, 100, 4096, 1 << 20}) {
    int chunks = 0;
    EXPECT_EQ(Rows(layout, layout.data_begin, layout.size, chunk_bytes, &chunks), body);
    if (chunk_bytes == 4096) {
      EXPECT_GT(chunks, 5);
    }
  }
}

TEST(ChunkReader, FinalRowWithoutLineEnd) {
  TempDir dir;
  const std::string path = dir.Write("d.csv", "x\n1\n2\n3");
  const CsvLayout layout = ReadCsvLayout(path);
  int chunks = 0;
  EXPECT_EQ(Rows(layout, layout.data_begin, layout.size, 2, &chunks), "1\n2\n3");
}

TEST(SplitCsvRanges, RangesStartAtLineStartsAndCoverTheData) {
  TempDir dir;
  std::string body;
  for (int i = 0; i < 997; ++i) body += std::to_string(i * 31) + "\n";
  const std::string path = dir.Write("d.csv", "x\n" + body);
  const CsvLayout layout = ReadCsvLayout(path);
  for (int parts : {1, 2, 3, 7}) {
    const std::vector<int64_t> b = SplitCsvRanges(layout, parts);
    ASSERT_EQ(static_cast<int>(b.size()), parts + 1);
    EXPECT_EQ(b.front(), layout.data_begin);
    EXPECT_EQ(b.back(), layout.size);
    std::string all;
    for (int k = 0; k < parts; ++k) {
      EXPECT_LE(b[k], b[k + 1]);
      int chunks = 0;
      all += Rows(layout, b[k], b[k + 1], 64, &chunks);
    }
    EXPECT_EQ(all, body) << parts;
  }
}

}  // namespace
}  // namespace lmm::scale
