// Output files named on the command line: checked against the inputs and each other, and for
// writability, before any work, so that a mistaken or unwritable path fails at once instead of
// after a long fit or by destroying an input.
#pragma once

#include <string>
#include <vector>

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

// An output file named on the command line: checked when constructed (a missing directory, one
// that cannot be written, or a directory as the path throw lmm::Error(kData) "PATH: cannot write:
// ..."), so that a mistake fails before the work rather than after a long fit, and written later
// with io::WriteFileAtomically. No temporary file exists until then: an interrupted fit leaves
// none.
class OutputFile {
 public:
  OutputFile() = default;  // none: Write() goes to stdout
  explicit OutputFile(std::string path);
  bool given() const { return !path_.empty(); }
  void Write(const std::string& text) const;

 private:
  std::string path_;
};

}  // namespace lmm::cli
