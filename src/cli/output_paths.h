// Output files named on the command line: checked against the inputs and each other, and opened
// before any work, so that a mistaken or unwritable path fails at once instead of after a long fit
// or by destroying an input.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "io/atomic_file.h"

namespace lmm::cli {

// A path given with a flag ("--data", "--output"); an empty path is not given.
struct NamedPath {
  std::string flag;
  std::string path;
};

// Throws lmm::Error(kUsage) naming both flags when an output is the same file as an input (it would
// be replaced by the report) or as another output (one would silently replace the other). Paths
// are compared as files (links and relative spellings resolved); outputs that are not regular files
// (a terminal, a pipe, /dev/null) may be shared.
void CheckOutputPaths(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs);

// Opens `path` for an atomic write (its temporary file is created now: a missing directory or a
// read-only place throws here); nullptr for an empty path.
std::unique_ptr<io::AtomicFile> OpenOutput(const std::string& path);

// Writes `text` to `file` and commits it, or to stdout when `file` is null.
void WriteOutput(std::unique_ptr<io::AtomicFile>& file, const std::string& text);

}  // namespace lmm::cli
