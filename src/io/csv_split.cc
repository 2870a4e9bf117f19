#include "io/csv_split.h"

#include <algorithm>
#include <cstdint>

#include "io/parallel_for.h"

namespace lmm::io {

std::vector<size_t> SplitRows(std::string_view bytes, size_t begin, int parts,
                              size_t min_part_bytes) {
  const size_t n = bytes.size();
  const size_t len = n > begin ? n - begin : 0;
  size_t m = std::min<size_t>(static_cast<size_t>(std::max(parts, 1)),
                              len / std::max<size_t>(min_part_bytes, 1));
  if (m <= 1) return {begin, n};
  std::vector<size_t> cut(m + 1);
  for (size_t k = 0; k <= m; ++k) cut[k] = begin + len / m * k + std::min(k, len % m);
  std::vector<int64_t> quotes(m);
  const char* d = bytes.data();
  ParallelFor(m, parts, [&](size_t k) { quotes[k] = std::count(d + cut[k], d + cut[k + 1], '"'); });

  std::vector<size_t> bounds = {begin};
  int64_t parity = 0;
  for (size_t k = 1; k < m; ++k) {
    parity += quotes[k - 1];
    bool inside = (parity & 1) != 0;
    size_t i = cut[k];
    for (; i < n; ++i) {
      if (d[i] == '"')
        inside = !inside;
      else if (d[i] == '\n' && !inside)
        break;
    }
    const size_t b = std::min(i + 1, n);
    if (b > bounds.back() && b < n) bounds.push_back(b);
  }
  bounds.push_back(n);
  return bounds;
}

}  // namespace lmm::io
