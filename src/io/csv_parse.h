// Internal entry point of the CSV reader, with the chunk size exposed for tests and the fuzzer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "lmm/data_frame.h"

namespace lmm::io {

// Ranges smaller than this are not split further: below it, threads cost more than they save.
inline constexpr size_t kDefaultMinChunkBytes = size_t{1} << 18;

// ParseCsv with a chosen minimum chunk size (1 splits even tiny inputs into options.threads
// ranges). The result, or the error, does not depend on the chunking.
DataFrame ParseCsvChunked(std::string_view bytes, const std::string& source,
                          const CsvOptions& options, size_t min_chunk_bytes);

}  // namespace lmm::io
