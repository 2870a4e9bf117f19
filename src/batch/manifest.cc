#include "batch/manifest.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "lmm/error.h"

namespace lmm::batch {

const std::vector<std::string>& ManifestOptionKeys() {
  static const std::vector<std::string> keys = {"method", "ddf",     "backend", "level", "test",
                                                "ranef",  "predict", "sep",     "na",    "threads"};
  return keys;
}

std::vector<BatchJob> ReadManifest(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw UsageError(fmt::format("{}: is a directory, not a manifest file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(fmt::format("{}: cannot open the manifest", path));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  const std::string base = std::filesystem::path(path).parent_path().string();
  size_t first = bytes.find_first_not_of(" \t\r\n");
  // A UTF-8 byte order mark is not content.
  if (bytes.compare(0, 3, "\xEF\xBB\xBF") == 0) first = bytes.find_first_not_of(" \t\r\n", 3);
  const bool json = first != std::string::npos && (bytes[first] == '[' || bytes[first] == '{');
  std::vector<BatchJob> jobs =
      json ? ParseJsonManifest(bytes, path, base) : ParseCsvManifest(bytes, path, base);
  ValidateJobs(jobs, path);
  return jobs;
}

void ValidateJobs(const std::vector<BatchJob>& jobs, const std::string& source) {
  if (jobs.empty()) throw UsageError(fmt::format("{}: the manifest lists no jobs", source));
  std::set<std::string> seen;
  for (const BatchJob& job : jobs) {
    if (job.id.empty()) throw UsageError(fmt::format("{}: the job has no \"id\"", job.where));
    for (char c : job.id) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-' || c == '.';
      if (!ok)
        throw UsageError(
            fmt::format("{}: id '{}': use only letters, digits, '_', '-' and '.' (it "
                        "names the result files)",
                        job.where, job.id));
    }
    const std::string kErrorSuffix = ".error";
    if (job.id[0] == '.' || (job.id.size() >= kErrorSuffix.size() &&
                             job.id.compare(job.id.size() - kErrorSuffix.size(),
                                            kErrorSuffix.size(), kErrorSuffix) == 0))
      throw UsageError(
          fmt::format("{}: id '{}' may not start with '.' or end in '.error'", job.where, job.id));
    if (!seen.insert(job.id).second)
      throw UsageError(fmt::format("{}: id '{}' is used by an earlier job", job.where, job.id));
    if (job.data.empty())
      throw UsageError(fmt::format("{}: job '{}' has no \"data\"", job.where, job.id));
    if (job.formula.empty())
      throw UsageError(fmt::format("{}: job '{}' has no \"formula\"", job.where, job.id));
  }
}

}  // namespace lmm::batch
