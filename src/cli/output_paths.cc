#include "cli/output_paths.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "io/atomic_file.h"
#include "lmm/error.h"

namespace lmm::cli {
namespace {

namespace fs = std::filesystem;

// True when both paths name one regular (or not yet existing) file.
bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  const bool a_exists = ::stat(a.c_str(), &sa) == 0;
  const bool b_exists = ::stat(b.c_str(), &sb) == 0;
  if (a_exists && b_exists)
    return S_ISREG(sa.st_mode) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  if (a_exists != b_exists) return false;
  std::error_code ea, eb;
  const fs::path ca = fs::weakly_canonical(a, ea), cb = fs::weakly_canonical(b, eb);
  return !ea && !eb && ca == cb;
}

}  // namespace

void CheckOutputPaths(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const NamedPath& out = outputs[i];
    if (out.path.empty()) continue;
    for (const NamedPath& in : inputs)
      if (!in.path.empty() && SameFile(out.path, in.path))
        throw UsageError(
            fmt::format("{} '{}' is the same file as {} '{}': writing it would "
                        "destroy the input; choose another file",
                        out.flag, out.path, in.flag, in.path));
    for (size_t k = 0; k < i; ++k)
      if (!outputs[k].path.empty() && SameFile(out.path, outputs[k].path))
        throw UsageError(
            fmt::format("{} '{}' and {} '{}' are the same file: one would replace the "
                        "other; choose different files",
                        outputs[k].flag, outputs[k].path, out.flag, out.path));
  }
}

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) return;
  const auto fail = [this](int err) {
    throw DataError(fmt::format("{}: cannot write: {}", path_, std::strerror(err)));
  };
  fs::path target(path_);
  struct stat st;
  if (::stat(path_.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) fail(EISDIR);
    if (!S_ISREG(st.st_mode)) return;  // a pipe, a terminal, /dev/null: written in place
    std::error_code ec;
    const fs::path resolved = fs::canonical(target, ec);  // AtomicFile replaces a link's target
    if (!ec) target = resolved;
  }
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (::access(dir.c_str(), W_OK | X_OK) != 0) fail(errno);
}

void OutputFile::Write(const std::string& text) const {
  if (path_.empty())
    std::cout << text;
  else
    io::WriteFileAtomically(path_, text);
}

}  // namespace lmm::cli
