// Writing result files so that a reader never sees a half-written file and a failure never
// destroys what was there: write a temporary file beside the target, flush, then rename.
#pragma once

#include <string>
#include <string_view>

namespace lmm::io {

// Replaces `path` with `contents` atomically. Throws lmm::Error(kData) naming the path and the
// system's reason when the directory is not writable or the disk is full; the old file is kept.
void WriteFileAtomically(const std::string& path, std::string_view contents);

}  // namespace lmm::io
