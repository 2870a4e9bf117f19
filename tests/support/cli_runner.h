// Runs the lmmgpu executable and captures its exit code and output, for CLI tests.
#pragma once

#include <string>
#include <vector>

namespace lmm::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs LMMGPU_EXE with `args` (each shell-quoted); no stdin.
CliResult RunCli(const std::vector<std::string>& args);

// A fresh directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // Writes `bytes` to a file in the directory and returns its path.
  std::string Write(const std::string& name, const std::string& bytes) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);

}  // namespace lmm::testing
