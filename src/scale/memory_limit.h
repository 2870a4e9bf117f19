// --memory-limit: the size text and the chunk size it allows.
#pragma once

#include <cstdint>
#include <string>

namespace lmm::scale {

// "2G", "512M", "1.5GB", "100000000" (bytes): a positive number with an optional binary suffix
// K, M, G, T (powers of 1024; a trailing B or iB is accepted). Throws lmm::Error(kUsage) naming
// the text for anything else, and for less than 64 MiB (the program itself needs about that).
int64_t ParseMemoryLimit(const std::string& text);

// Bytes of CSV text read per chunk when `table_bytes` are held by the per-cluster table: a parsed
// chunk with its design rows takes about 8 times its text, so an eighth of what is left under the
// limit, between 1 MiB and 256 MiB.
int64_t ChunkBytes(int64_t limit, int64_t table_bytes);

// Peak resident set size of this process so far (getrusage), in bytes.
int64_t PeakRssBytes();

}  // namespace lmm::scale
