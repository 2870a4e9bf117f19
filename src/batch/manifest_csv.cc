// CSV manifests: RFC 4180 (quoted fields may hold commas, doubled quotes and line ends), a header
// row naming the columns, one job per row; blank lines are skipped.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "batch/manifest.h"
#include "lmm/error.h"

namespace lmm::batch {
namespace {

struct Record {
  int64_t line = 0;  // where the record starts
  std::vector<std::string> fields;
  std::vector<int64_t> columns;  // 1-based byte column of each field on its line
};

std::vector<Record> SplitRecords(const std::string& bytes, const std::string& source) {
  std::vector<Record> records;
  size_t i = bytes.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  int64_t line = 1;
  size_t line_start = 0;
  while (i < bytes.size()) {
    if (bytes[i] == '\n' || bytes[i] == '\r') {  // blank line
      if (bytes[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
      ++i;
      continue;
    }
    Record record;
    record.line = line;
    while (true) {
      record.columns.push_back(static_cast<int64_t>(i - line_start) + 1);
      std::string field;
      if (i < bytes.size() && bytes[i] == '"') {
        const int64_t open_line = line;
        const size_t open_col = i - line_start + 1;
        ++i;
        while (true) {
          if (i >= bytes.size())
            throw UsageError(
                fmt::format("{}:{}:{}: quoted field is not closed", source, open_line, open_col));
          if (bytes[i] == '"') {
            if (i + 1 < bytes.size() && bytes[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (bytes[i] == '\n') {
            ++line;
            line_start = i + 1;
          }
          field += bytes[i++];
        }
        if (i < bytes.size() && bytes[i] != ',' && bytes[i] != '\n' && bytes[i] != '\r')
          throw UsageError(fmt::format("{}:{}:{}: expected ',' or a line end after a quoted field",
                                       source, line, i - line_start + 1));
      } else {
        while (i < bytes.size() && bytes[i] != ',' && bytes[i] != '\n' && bytes[i] != '\r') {
          if (bytes[i] == '"')
            throw UsageError(fmt::format("{}:{}:{}: a quote inside an unquoted field", source, line,
                                         i - line_start + 1));
          field += bytes[i++];
        }
      }
      record.fields.push_back(std::move(field));
      if (i < bytes.size() && bytes[i] == ',') {
        ++i;
        continue;
      }
      break;
    }
    if (i < bytes.size() && bytes[i] == '\r') ++i;
    if (i < bytes.size() && bytes[i] == '\n') {
      ++i;
      ++line;
      line_start = i;
    }
    records.push_back(std::move(record));
  }
  return records;
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

}  // namespace

std::vector<BatchJob> ParseCsvManifest(const std::string& bytes, const std::string& source,
                                       const std::string& base_dir) {
  const std::vector<Record> records = SplitRecords(bytes, source);
  if (records.empty()) throw UsageError(fmt::format("{}: the manifest is empty", source));
  const Record& header = records[0];
  const std::vector<std::string>& option_keys = ManifestOptionKeys();
  std::vector<std::string> names;
  for (size_t c = 0; c < header.fields.size(); ++c) {
    const std::string name = Trim(header.fields[c]);
    const bool known = name == "id" || name == "data" || name == "formula" ||
                       std::find(option_keys.begin(), option_keys.end(), name) != option_keys.end();
    if (!known)
      throw UsageError(fmt::format("{}:{}:{}: unknown column '{}' (expected id, data, formula, {})",
                                   source, header.line, header.columns[c], name,
                                   fmt::join(option_keys, ", ")));
    if (std::find(names.begin(), names.end(), name) != names.end())
      throw UsageError(fmt::format("{}:{}:{}: column '{}' appears twice", source, header.line,
                                   header.columns[c], name));
    names.push_back(name);
  }
  for (const char* required : {"id", "data", "formula"})
    if (std::find(names.begin(), names.end(), required) == names.end())
      throw UsageError(
          fmt::format("{}:{}: the header has no '{}' column", source, header.line, required));
  std::vector<BatchJob> jobs;
  for (size_t r = 1; r < records.size(); ++r) {
    const Record& record = records[r];
    BatchJob job;
    job.where = fmt::format("{}:{}", source, record.line);
    if (record.fields.size() != names.size())
      throw UsageError(fmt::format("{}: expected {} fields as in the header, found {}", job.where,
                                   names.size(), record.fields.size()));
    for (size_t c = 0; c < names.size(); ++c) {
      const std::string& name = names[c];
      // Formulas and tests keep their spaces; ids, paths and option words are trimmed.
      const std::string value = name == "formula" || name == "test" || name == "na"
                                    ? record.fields[c]
                                    : Trim(record.fields[c]);
      if (name == "id")
        job.id = value;
      else if (name == "data")
        job.data = value;
      else if (name == "formula")
        job.formula = value;
      else if (!value.empty())
        job.options[name] = value;
    }
    if (!job.data.empty() && !base_dir.empty() && std::filesystem::path(job.data).is_relative())
      job.data = (std::filesystem::path(base_dir) / job.data).string();
    jobs.push_back(std::move(job));
  }
  return jobs;
}

}  // namespace lmm::batch
