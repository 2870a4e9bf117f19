#include "scale/memory_limit.h"

#include <gtest/gtest.h>

#include "lmm/error.h"

namespace lmm::scale {
namespace {

TEST(MemoryLimit, ParsesBinarySuffixes) {
  EXPECT_EQ(ParseMemoryLimit("2G"), int64_t{2} << 30);
  EXPECT_EQ(ParseMemoryLimit("512M"), int64_t{512} << 20);
  EXPECT_EQ(ParseMemoryLimit("512mb"), int64_t{512} << 20);
  EXPECT_EQ(ParseMemoryLimit("1.5GiB"), int64_t{3} << 29);
  EXPECT_EQ(ParseMemoryLimit("1T"), int64_t{1} << 40);
  EXPECT_EQ(ParseMemoryLimit("100000000"), 100000000);
}

TEST(MemoryLimit, RejectsBadSizesWithTheText) {
  for (const char* bad : {"", "G", "-1G", "2X", "0", "1M", "nanG", "2 G"}) {
    try {
      ParseMemoryLimit(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUsage);
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos)
          << e.what();
    }
  }
}

TEST(MemoryLimit, ChunkBytesStayWithinTheLimitAndBounds) {
  EXPECT_EQ(ChunkBytes(int64_t{64} << 20, 0), int64_t{4} << 20);  // (64M - 32M) / 8
  EXPECT_EQ(ChunkBytes(int64_t{64} << 30, 0), int64_t{256} << 20);
  EXPECT_EQ(ChunkBytes(int64_t{64} << 20, int64_t{60} << 20), int64_t{1} << 20);
  const int64_t limit = int64_t{2} << 30, table = int64_t{500} << 20;
  EXPECT_LE(8 * ChunkBytes(limit, table) + table, limit);
}

TEST(MemoryLimit, PeakRssIsPositive) { EXPECT_GT(PeakRssBytes(), 0); }

}  // namespace
}  // namespace lmm::scale
