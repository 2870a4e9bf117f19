#include "batch/responses_report.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "batch/responses.h"
#include "io/atomic_file.h"
#include "io/fit_report.h"
#include "lmm/error.h"

namespace lmm::batch {
namespace {

// The response's file name: letters, digits, '_', '-' and '.' as they are, every other byte (and a
// leading '.') as %XX, so that different responses never share a file ("a/b" and "a_b" did).
std::string FileStem(const std::string& response) {
  std::string stem;
  for (size_t i = 0; i < response.size(); ++i) {
    const char c = response[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || (c == '.' && i > 0);
    stem += ok ? std::string(1, c) : fmt::format("%{:02X}", static_cast<unsigned char>(c));
  }
  return stem;
}

nlohmann::json OutcomeJson(const ResponseOutcome& o) {
  nlohmann::json j = o.fit ? io::FitJson(*o.fit) : nlohmann::json::object();
  j["response"] = o.response;
  j["status"] = o.status;
  j["seconds"] = o.seconds;
  if (o.status != "ok") {
    j["exit_code"] = o.exit_code;
    j["message"] = o.message;
  }
  return j;
}

// o as an element of the JSON array `array.dump(2)` writes: its dump(2) one level deeper (JSON text
// holds no raw line breaks inside strings, so indenting every line is exact).
std::string ArrayElementJson(const ResponseOutcome& o) {
  const std::string text = OutcomeJson(o).dump(2);
  std::string out = "  ";
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    out += c;
    if (c == '\n') out += "  ";
  }
  return out;
}

std::string OutcomeText(const ResponseOutcome& o, double level) {
  std::string text = fmt::format("=== response {}: {}\n", o.response, o.status);
  if (o.status == "ok")
    text += io::FitText(*o.fit, level);
  else
    text += o.message + "\n";
  return text + "\n";
}

std::string CsvField(const std::string& text) {
  std::string line;
  for (char c : text) line += c == '\n' ? std::string(" | ") : c == '\r' ? "" : std::string(1, c);
  if (line.find_first_of(",\"") == std::string::npos) return line;
  std::string quoted = "\"";
  for (char c : line) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

int FitAndReportResponses(const LoadOptions& load, const std::vector<std::string>& items,
                          const FitOptions& options, const ResponsesOutput& output) {
  const std::string& dir = output.output_dir;
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (!std::filesystem::is_directory(dir))
      throw DataError(fmt::format("{}: cannot create the output directory", dir));
    // The summary would replace the data file (`--data DIR/summary.csv`) after the fits.
    if (std::filesystem::equivalent(dir + "/summary.csv", load.data_path, ec))
      throw UsageError(fmt::format("--output-dir {}: {}/summary.csv is the --data file; choose "
                                   "another directory",
                                   dir, dir));
  }
  // Each outcome is written (DIR) or formatted (the array or text) as it finishes, in the worker
  // that fitted it, so that formatting overlaps the other fits; FitResponses serializes the calls.
  std::map<std::string, std::string> texts;  // by response
  auto on_done = [&](const ResponseOutcome& o) {
    if (dir.empty()) {
      texts[o.response] =
          output.format == "json" ? ArrayElementJson(o) : OutcomeText(o, options.level);
      return;
    }
    const std::string stem = dir + "/" + FileStem(o.response);
    if (o.status == "ok") {
      io::WriteFileAtomically(stem + ".json", OutcomeJson(o).dump(2) + "\n");
      std::error_code ec;
      std::filesystem::remove(stem + ".error.json", ec);
    } else {
      std::error_code ec;
      std::filesystem::remove(stem + ".json", ec);
      io::WriteFileAtomically(stem + ".error.json", OutcomeJson(o).dump(2) + "\n");
    }
  };
  const std::vector<ResponseOutcome> outcomes = FitResponses(load, items, options, on_done);

  int failed = 0;
  std::string summary = "response,status,loglik,seconds,backend,message\n";
  for (const ResponseOutcome& o : outcomes) {
    if (o.status != "ok") ++failed;
    const bool has_loglik = o.fit && std::isfinite(o.fit->loglik);
    summary += fmt::format("{},{},{},{:.3f},{},{}\n", CsvField(o.response), o.status,
                           has_loglik ? fmt::format("{:.17g}", o.fit->loglik) : "", o.seconds,
                           o.fit ? o.fit->backend : "", CsvField(o.message));
  }
  if (!dir.empty()) {
    io::WriteFileAtomically(dir + "/summary.csv", summary);
  } else {
    // As nlohmann::json's dump(2) of the array of OutcomeJson's, or the reports one after another.
    const bool json = output.format == "json";
    std::string text = json ? (outcomes.empty() ? "[]" : "[\n") : "";
    for (size_t k = 0; k < outcomes.size(); ++k) {
      if (json && k > 0) text += ",\n";
      text += texts.at(outcomes[k].response);
    }
    if (json) text += outcomes.empty() ? "\n" : "\n]\n";
    if (output.output.empty())
      std::cout << text;
    else
      io::WriteFileAtomically(output.output, text);
  }
  if (failed > 0)
    std::cerr << fmt::format("lmmgpu fit: {} responses: {} fitted, {} failed\n", outcomes.size(),
                             outcomes.size() - static_cast<size_t>(failed), failed);
  return failed == 0 ? 0 : 4;
}

}  // namespace lmm::batch
