// Splitting the data rows into byte ranges that start at row boundaries, for parallel parsing.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace lmm::io {

// Boundaries b_0 = begin < b_1 < ... < b_m = bytes.size() of at most `parts` ranges of about equal
// size (none smaller than min_part_bytes unless it is the only one). `begin` must be a row start.
//
// Each b_k (k > 0) is the byte after the first LF at or after the k-th equal cut that lies outside
// quotes, judged by the parity of the quote bytes in [begin, LF): in RFC 4180 text every quote
// either opens or closes a quoted field or is one of a doubled pair, so even parity means outside.
// In malformed input (a stray quote) a boundary can be wrong; the caller checks that each range's
// parse ends exactly at the next boundary and otherwise parses the rest sequentially.
std::vector<size_t> SplitRows(std::string_view bytes, size_t begin, int parts,
                              size_t min_part_bytes);

}  // namespace lmm::io
