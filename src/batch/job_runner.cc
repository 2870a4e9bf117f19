#include "batch/job_runner.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>

#include "batch/failure.h"
#include "batch/job_options.h"
#include "io/atomic_file.h"
#include "io/fit_report.h"
#include "lmm/error.h"
#include "lmm/fit.h"
#include "lmm/load.h"

namespace lmm::batch {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void RemoveIfPresent(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

// The job's work; throws whatever the library throws.
void Execute(const BatchJob& job, const std::string& out_dir, const JobSettings& settings,
             const nlohmann::json& inputs, std::chrono::steady_clock::time_point t0,
             JobOutcome& outcome) {
  const LoadedModel model = LoadModel(settings.load);
  const FitResult fit = Fit(model.frame, settings.fit);
  outcome.backend = fit.backend;
  outcome.loglik = fit.loglik;
  if (!fit.convergence.converged) {
    outcome.status = "not-converged";
    outcome.exit_code = static_cast<int>(ErrorKind::kNumerical);
    outcome.message = "the fit did not converge: " + fit.convergence.message;
    return;
  }
  if (settings.ranef) io::WriteFileAtomically(RanefPath(out_dir, job.id), io::RanefCsv(fit));
  if (settings.predict)
    io::WriteFileAtomically(PredictPath(out_dir, job.id), io::PredictCsv(fit, model.frame));
  nlohmann::json result = io::FitJson(fit);
  result["id"] = job.id;
  result["inputs"] = inputs;
  outcome.seconds = SecondsSince(t0);
  result["seconds"] = outcome.seconds;
  io::WriteFileAtomically(ResultPath(out_dir, job.id), result.dump(2) + "\n");
  RemoveIfPresent(ErrorPath(out_dir, job.id));
  outcome.status = "ok";
}

}  // namespace

std::string ResultPath(const std::string& out_dir, const std::string& id) {
  return out_dir + "/" + id + ".json";
}
std::string ErrorPath(const std::string& out_dir, const std::string& id) {
  return out_dir + "/" + id + ".error.json";
}
std::string RanefPath(const std::string& out_dir, const std::string& id) {
  return out_dir + "/" + id + ".ranef.csv";
}
std::string PredictPath(const std::string& out_dir, const std::string& id) {
  return out_dir + "/" + id + ".predict.csv";
}

JobOutcome RunJob(const BatchJob& job, const std::string& out_dir, int default_threads,
                  FingerprintCache& cache) {
  const auto t0 = std::chrono::steady_clock::now();
  JobOutcome outcome;
  outcome.id = job.id;
  nlohmann::json inputs;
  try {
    const JobSettings settings = ParseJobSettings(job, default_threads);
    inputs = InputsRecord(job, settings.canonical, cache);
    Execute(job, out_dir, settings, inputs, t0, outcome);
  } catch (...) {
    const Failure failure = CurrentFailure();
    outcome.status = "failed";
    outcome.exit_code = failure.exit_code;
    outcome.message = failure.message;
  }
  outcome.seconds = SecondsSince(t0);
  if (outcome.status == "ok") return outcome;
  try {
    RemoveIfPresent(ResultPath(out_dir, job.id));
    RemoveIfPresent(RanefPath(out_dir, job.id));
    RemoveIfPresent(PredictPath(out_dir, job.id));
    nlohmann::json error = {{"id", job.id},
                            {"status", outcome.status},
                            {"exit_code", outcome.exit_code},
                            {"message", outcome.message},
                            {"seconds", outcome.seconds}};
    if (!inputs.is_null()) error["inputs"] = inputs;
    io::WriteFileAtomically(ErrorPath(out_dir, job.id), error.dump(2) + "\n");
  } catch (const std::exception& e) {
    outcome.message += std::string("; and the error record could not be written: ") + e.what();
  }
  return outcome;
}

std::optional<JobOutcome> ResumedOutcome(const BatchJob& job, const std::string& out_dir,
                                         int default_threads, FingerprintCache& cache) {
  const std::string path = ResultPath(out_dir, job.id);
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  try {
    std::stringstream ss;
    ss << in.rdbuf();
    const nlohmann::json result = nlohmann::json::parse(ss.str());
    const JobSettings settings = ParseJobSettings(job, default_threads);
    if (!result.contains("inputs") ||
        result["inputs"] != InputsRecord(job, settings.canonical, cache))
      return std::nullopt;
    if (settings.ranef && !std::filesystem::exists(RanefPath(out_dir, job.id))) return std::nullopt;
    if (settings.predict && !std::filesystem::exists(PredictPath(out_dir, job.id)))
      return std::nullopt;
    JobOutcome outcome;
    outcome.id = job.id;
    outcome.status = "ok";
    outcome.resumed = true;
    outcome.message = "unchanged inputs: kept from an earlier run";
    if (result.contains("loglik") && result["loglik"].is_number())
      outcome.loglik = result["loglik"].get<double>();
    if (result.contains("seconds") && result["seconds"].is_number())
      outcome.seconds = result["seconds"].get<double>();
    if (result.contains("backend") && result["backend"].is_string())
      outcome.backend = result["backend"].get<std::string>();
    return outcome;
  } catch (const std::exception&) {
    return std::nullopt;  // unreadable or foreign: run the job again
  }
}

}  // namespace lmm::batch
