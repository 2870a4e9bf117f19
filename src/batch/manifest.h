// The job list of `lmmgpu batch`: a JSON array of objects or a CSV table, one job per element/row.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace lmm::batch {

// One job as written in the manifest. `options` holds the optional fields by key (method, ddf,
// backend, level, test, ranef, predict, sep, na, threads), each as text: JSON numbers and booleans
// are written as JSON writes them, a JSON array of tests is joined with ';' (as in a CSV cell).
// Values are checked when the job runs, so a bad value fails that job only.
struct BatchJob {
  std::string id;    // [A-Za-z0-9_.-]+, not starting with '.', not ending in ".error"
  std::string data;  // relative paths as written are prefixed with the manifest's directory
  std::string formula;
  std::map<std::string, std::string> options;
  std::string where;  // "manifest.csv:7" or "manifest.json:12:3", for messages
};

// The option keys a manifest may use besides id, data and formula.
const std::vector<std::string>& ManifestOptionKeys();

// Reads a manifest: JSON when its first non-blank byte is '[' or '{' (an array of jobs, or an
// object whose "jobs" member is one), CSV otherwise (a header row naming id, data, formula and any
// option keys; empty cells take the defaults). Relative data paths are made relative to the
// manifest's directory. Throws lmm::Error(kUsage) with "FILE:LINE[:COLUMN]: what" for a file that
// cannot be read or parsed, an unknown key or column, a missing id/data/formula, a bad or duplicate
// id, or no jobs.
std::vector<BatchJob> ReadManifest(const std::string& path);

// The two formats on bytes already in memory; `source` names them in messages, `base_dir` is
// prepended to relative data paths (may be empty).
std::vector<BatchJob> ParseJsonManifest(const std::string& bytes, const std::string& source,
                                        const std::string& base_dir);
std::vector<BatchJob> ParseCsvManifest(const std::string& bytes, const std::string& source,
                                       const std::string& base_dir);

// Checks ids (syntax, uniqueness) and required fields; throws as ReadManifest does.
void ValidateJobs(const std::vector<BatchJob>& jobs, const std::string& source);

}  // namespace lmm::batch
