#include "batch/batch_test_util.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace lmm::batch_testing {

pid_t StartCli(const std::vector<std::string>& args) {
  std::vector<std::string> all = {LMMGPU_EXE};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

std::string CopySharedData(const std::string& name, const std::string& dir) {
  const std::string to = dir + "/" + name;
  std::filesystem::copy_file(std::string(LMM_SHARED_DIR) + "/data/" + name, to,
                             std::filesystem::copy_options::overwrite_existing);
  return to;
}

nlohmann::json WithoutTimes(nlohmann::json j) {
  if (j.is_object()) {
    j.erase("seconds");
    for (auto& [key, value] : j.items()) value = WithoutTimes(value);
  } else if (j.is_array()) {
    for (auto& value : j) value = WithoutTimes(value);
  }
  return j;
}

std::string WithoutSecondsLines(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line))
    if (line.find("\"seconds\":") == std::string::npos) out += line + "\n";
  return out;
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace lmm::batch_testing
