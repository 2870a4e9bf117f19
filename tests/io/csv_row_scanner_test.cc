// FindFieldEnd (io/csv_row_scanner.h), which scans 16 bytes at a time, against a byte-by-byte
// scan on random text made of few distinct bytes, at every start offset and input length (so
// that matches fall at every position of a 16-byte block and the end of the input cuts blocks).
#include "io/csv_row_scanner.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace lmm {
namespace {

size_t Scalar(const std::string& s, size_t i, size_t n, char sep) {
  while (i < n && s[i] != sep && s[i] != '\n' && s[i] != '\r' && s[i] != '"') ++i;
  return i;
}

TEST(FindFieldEnd, EqualsAByteByByteScan) {
  std::mt19937_64 rng(17);
  for (const char sep : {',', ';', '\t', '\x80'}) {
    const std::string alphabet = std::string("ab1.-\xC3\xA9 ") + sep + "\n\r\"";
    for (int trial = 0; trial < 200; ++trial) {
      // Long runs without special bytes in some inputs, dense ones in others.
      const size_t length = rng() % 80;
      const bool sparse = trial % 2 == 0;
      std::string s;
      for (size_t k = 0; k < length; ++k)
        s += alphabet[sparse && rng() % 20 != 0 ? rng() % 6 : rng() % alphabet.size()];
      for (size_t n = 0; n <= s.size(); ++n)
        for (size_t i = 0; i <= n; ++i)
          ASSERT_EQ(io::FindFieldEnd(s.data(), i, n, sep), Scalar(s, i, n, sep))
              << "sep " << int(sep) << " i " << i << " n " << n << " text " << s;
    }
  }
}

}  // namespace
}  // namespace lmm
