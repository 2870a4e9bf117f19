#include "batch/summary.h"

#include <fmt/format.h>

#include <cmath>

namespace lmm::batch {
namespace {

std::string CsvField(const std::string& text) {
  std::string one_line;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') continue;
    if (text[i] == '\n') {
      if (i + 1 < text.size()) one_line += " | ";
    } else {
      one_line += text[i];
    }
  }
  if (one_line.find_first_of(",\"") == std::string::npos) return one_line;
  std::string quoted = "\"";
  for (char c : one_line) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

std::string SummaryCsv(const std::vector<JobOutcome>& outcomes) {
  std::string csv = "id,status,loglik,seconds,backend,message\n";
  for (const JobOutcome& o : outcomes) {
    const std::string loglik = std::isfinite(o.loglik) ? fmt::format("{:.17g}", o.loglik) : "";
    const std::string seconds = o.status == "pending" ? "" : fmt::format("{:.3f}", o.seconds);
    csv += fmt::format("{},{},{},{},{},{}\n", o.id, o.status, loglik, seconds, o.backend,
                       CsvField(o.message));
  }
  return csv;
}

}  // namespace lmm::batch
