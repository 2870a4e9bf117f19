// JSON manifests: an array of job objects, or {"jobs": [...]}.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "batch/manifest.h"
#include "lmm/error.h"

namespace lmm::batch {
namespace {

// "LINE:COLUMN" (1-based, column in bytes) of byte `offset`.
std::string Position(const std::string& bytes, size_t offset) {
  offset = std::min(offset, bytes.size());
  int64_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i)
    if (bytes[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  return fmt::format("{}:{}", line, offset - line_start + 1);
}

// Byte offsets of the elements of the job array in valid JSON text: the '{' (or first byte) of each
// value at depth `depth` inside the array that starts at `array_begin`.
std::vector<size_t> ElementOffsets(const std::string& bytes, size_t array_begin) {
  std::vector<size_t> offsets;
  int depth = 0;
  bool in_string = false;
  bool expect_value = false;
  for (size_t i = array_begin; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (depth == 1 && expect_value && c != ']') {
      offsets.push_back(i);
      expect_value = false;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth == 1) expect_value = true;
    } else if (c == ']' || c == '}') {
      if (--depth == 0) break;
    } else if (c == ',' && depth == 1) {
      expect_value = true;
    }
  }
  return offsets;
}

// The array "jobs" of an object manifest starts after its key; find it by a scan of depth-1 keys.
size_t JobsArrayOffset(const std::string& bytes, size_t object_begin) {
  int depth = 0;
  bool in_string = false;
  size_t key_start = 0;
  std::string last_key;
  for (size_t i = object_begin; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"') {
        in_string = false;
        if (depth == 1) last_key = bytes.substr(key_start, i - key_start);
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      key_start = i + 1;
    } else if (c == '[' || c == '{') {
      if (depth == 1 && c == '[' && last_key == "jobs") return i;
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return object_begin;
}

std::string OptionText(const nlohmann::json& value, const std::string& key,
                       const std::string& where) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  if (value.is_array() && key == "test") {
    std::string joined;
    for (const nlohmann::json& t : value) {
      if (!t.is_string())
        throw UsageError(
            fmt::format("{}: \"test\" must be a string or an array of strings", where));
      joined += (joined.empty() ? "" : ";") + t.get<std::string>();
    }
    return joined;
  }
  throw UsageError(fmt::format("{}: \"{}\" must be a string, a number or a boolean", where, key));
}

}  // namespace

std::vector<BatchJob> ParseJsonManifest(const std::string& bytes, const std::string& source,
                                        const std::string& base_dir) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(bytes);
  } catch (const nlohmann::json::parse_error& e) {
    const size_t at = e.byte == 0 ? 0 : e.byte - 1;
    std::string what = e.what();
    const size_t colon = what.find("syntax error");
    if (colon != std::string::npos) what = what.substr(colon);
    throw UsageError(fmt::format("{}:{}: invalid JSON: {}", source, Position(bytes, at), what));
  }
  const size_t first = bytes.find_first_of("[{");
  size_t array_begin = first;
  const nlohmann::json* array = &doc;
  if (doc.is_object()) {
    if (!doc.contains("jobs") || !doc["jobs"].is_array())
      throw UsageError(
          fmt::format("{}:{}: expected an array of jobs, or an object with a \"jobs\" "
                      "array",
                      source, Position(bytes, first)));
    array = &doc["jobs"];
    array_begin = JobsArrayOffset(bytes, first);
  }
  if (!array->is_array()) throw UsageError(fmt::format("{}: expected an array of jobs", source));
  const std::vector<size_t> offsets = ElementOffsets(bytes, array_begin);
  const std::vector<std::string>& option_keys = ManifestOptionKeys();
  std::vector<BatchJob> jobs;
  for (size_t k = 0; k < array->size(); ++k) {
    const nlohmann::json& element = (*array)[k];
    BatchJob job;
    job.where = fmt::format("{}:{}", source,
                            Position(bytes, k < offsets.size() ? offsets[k] : array_begin));
    if (!element.is_object())
      throw UsageError(fmt::format("{}: job {} is not an object", job.where, k + 1));
    for (const auto& [key, value] : element.items()) {
      if (key == "id" || key == "data" || key == "formula") {
        if (!value.is_string())
          throw UsageError(fmt::format("{}: \"{}\" must be a string", job.where, key));
        (key == "id" ? job.id : key == "data" ? job.data : job.formula) = value.get<std::string>();
      } else if (std::find(option_keys.begin(), option_keys.end(), key) != option_keys.end()) {
        if (!value.is_null()) job.options[key] = OptionText(value, key, job.where);
      } else {
        throw UsageError(fmt::format("{}: unknown key \"{}\" (expected id, data, formula, {})",
                                     job.where, key, fmt::join(option_keys, ", ")));
      }
    }
    if (!job.data.empty() && !base_dir.empty() && std::filesystem::path(job.data).is_relative())
      job.data = (std::filesystem::path(base_dir) / job.data).string();
    jobs.push_back(std::move(job));
  }
  return jobs;
}

}  // namespace lmm::batch
