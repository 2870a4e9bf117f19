#include "batch/job_options.h"

#include <fmt/format.h>

#include <charconv>

#include "lmm/error.h"

namespace lmm::batch {
namespace {

bool ParseBool(const std::string& text, const BatchJob& job, const std::string& key) {
  if (text == "true" || text == "1" || text == "yes") return true;
  if (text == "false" || text == "0" || text == "no") return false;
  throw UsageError(
      fmt::format("{}: job '{}': {} '{}': expected true or false", job.where, job.id, key, text));
}

double ParseNumber(const std::string& text, const BatchJob& job, const std::string& key) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    throw UsageError(
        fmt::format("{}: job '{}': {} '{}': expected a number", job.where, job.id, key, text));
  return v;
}

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t at = text.find(sep, start);
    parts.push_back(text.substr(start, at - start));
    if (at == std::string::npos) break;
    start = at + 1;
  }
  return parts;
}

std::string Get(const BatchJob& job, const std::string& key, const std::string& fallback) {
  const auto it = job.options.find(key);
  return it == job.options.end() ? fallback : it->second;
}

}  // namespace


JobSettings ParseJobSettings(const BatchJob& job, int default_threads) {
  JobSettings s;
  s.load.data_path = job.data;
  s.load.formula = job.formula;
  nlohmann::json& c = s.canonical;

  const std::string method = Get(job, "method", "REML");
  if (method != "REML" && method != "ML" && method != "reml" && method != "ml")
    throw UsageError(
        fmt::format("{}: job '{}': method '{}': expected REML or ML", job.where, job.id, method));
  s.fit.reml = method == "REML" || method == "reml";
  c["method"] = s.fit.reml ? "REML" : "ML";

  const std::string ddf = Get(job, "ddf", "none");
  try {
    ParseDdfOption(ddf, s.fit);
  } catch (const Error& e) {
    throw UsageError(fmt::format("{}: job '{}': {}", job.where, job.id, e.what()));
  }
  c["ddf"] = ddf;

  const std::string backend = Get(job, "backend", "auto");
  if (backend == "auto")
    s.fit.backend = BackendChoice::kAuto;
  else if (backend == "cpu")
    s.fit.backend = BackendChoice::kCpu;
  else if (backend == "gpu")
    s.fit.backend = BackendChoice::kGpu;
  else
    throw UsageError(fmt::format("{}: job '{}': backend '{}': expected auto, cpu or gpu", job.where,
                                 job.id, backend));
  c["backend"] = backend;

  const double level = ParseNumber(Get(job, "level", "95"), job, "level");
  if (!(level >= 10 && level <= 99.99))
    throw UsageError(fmt::format("{}: job '{}': level {} is not in [10, 99.99] (percent)",
                                 job.where, job.id, level));
  s.fit.level = level / 100.0;
  c["level"] = level;

  const std::string tests = Get(job, "test", "");
  if (!tests.empty())
    for (const std::string& t : Split(tests, ';'))
      if (t.find_first_not_of(" \t") != std::string::npos) s.fit.tests.push_back(t);
  c["test"] = s.fit.tests;

  s.ranef = ParseBool(Get(job, "ranef", "false"), job, "ranef");
  s.predict = ParseBool(Get(job, "predict", "false"), job, "predict");
  s.fit.conditional_modes = s.ranef || s.predict;
  c["ranef"] = s.ranef;
  c["predict"] = s.predict;

  const std::string sep = Get(job, "sep", ",");
  if (sep == "tab" || sep == "\\t" || sep == "\t")
    s.load.csv.separator = '\t';
  else if (sep.size() == 1 && sep != "\"" && sep != "\n" && sep != "\r")
    s.load.csv.separator = sep[0];
  else
    throw UsageError(fmt::format("{}: job '{}': sep '{}': expected one character or 'tab'",
                                 job.where, job.id, sep));
  c["sep"] = std::string(1, s.load.csv.separator);

  const std::string na = Get(job, "na", ",NA,NaN,.");
  s.load.csv.na_tokens = Split(na, ',');
  c["na"] = s.load.csv.na_tokens;

  const double threads =
      ParseNumber(Get(job, "threads", std::to_string(default_threads)), job, "threads");
  if (!(threads >= 0 && threads <= 4096) || threads != static_cast<int>(threads))
    throw UsageError(fmt::format("{}: job '{}': threads '{}': expected a count >= 0", job.where,
                                 job.id, threads));
  s.fit.threads = static_cast<int>(threads);
  s.load.csv.threads = s.fit.threads;
  return s;
}

}  // namespace lmm::batch
