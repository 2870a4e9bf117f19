// `lmmgpu fit`: read, build, fit, report.
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "batch/responses_report.h"
#include "cli/commands.h"
#include "cli/data_options.h"
#include "cli/output_paths.h"
#include "dist/distributed.h"
#include "io/atomic_file.h"
#include "io/fit_report.h"
#include "lmm/error.h"
#include "lmm/fit.h"
#include "residual/residual_spec.h"
#include "scale/memory_limit.h"
#include "scale/stream_fit.h"

namespace lmm::cli {
namespace {

struct FitFlags {
  DataFlags data;
  bool reml = false;
  bool ml = false;
  std::string format = "text";
  std::string output;
  std::string backend = "auto";
  std::string ranef;
  std::string predict;
  double level = 95;
  std::string ddf = "none";
  std::vector<std::string> tests;
  std::string residuals;
  std::vector<std::string> responses;
  std::string output_dir;
  std::string memory_limit;
};

// --residuals SPEC: the spec and the data columns it names (time, by), read from the data file.
void SetResiduals(const std::string& spec_text, const LoadOptions& load, FitOptions& options) {
  if (spec_text.empty()) return;
  const residual::ResidualSpec spec = residual::ParseResidualSpec(spec_text);
  options.residuals = spec_text;
  std::vector<std::string> keep;
  if (!spec.time.empty()) keep.push_back(spec.time);
  for (const std::string& name : {spec.by, spec.group})
    if (!name.empty() && std::find(keep.begin(), keep.end(), name) == keep.end())
      keep.push_back(name);
  if (keep.empty()) return;
  CsvOptions csv = load.csv;
  csv.keep = keep;
  options.residual_columns = ReadCsv(load.data_path, csv).columns;
}

// --memory-limit, or several MPI ranks: the streaming build (src/scale), the report from rank 0
// with a "streaming" section (peak memory, build times).
int FitStreamedAndReport(const FitFlags& f, const FitOptions& options) {
  if (!f.responses.empty() || !f.predict.empty() || !f.residuals.empty())
    throw UsageError("--responses, --predict and --residuals do not apply with the streaming "
                     "build (--memory-limit, mpirun): they need the data rows in memory");
  const LoadOptions load = ToLoadOptions(f.data);
  scale::StreamOptions stream;
  stream.data_path = load.data_path;
  stream.formula = load.formula;
  stream.csv = load.csv;
  stream.memory_limit = scale::ParseMemoryLimit(f.memory_limit.empty() ? "2G" : f.memory_limit);
  return dist::RunWithCollective([&](scale::Collective& collective) {
    // Checked on rank 0 only, which writes them.
    const OutputFile ranef(collective.rank() == 0 ? f.ranef : "");
    const OutputFile report(collective.rank() == 0 ? f.output : "");
    scale::StreamedModel model = scale::BuildStreamedModel(stream, collective);
    const FitResult fit = scale::FitStreamed(model, options);
    const scale::StreamReport& r = model.report;
    std::vector<double> peak = {static_cast<double>(scale::PeakRssBytes())};
    peak = collective.GatherDoubles(peak);
    if (collective.rank() != 0) return 0;
    if (ranef.given()) ranef.Write(io::RanefCsv(fit));
    const double peak_max = *std::max_element(peak.begin(), peak.end());
    if (f.format == "json") {
      nlohmann::json j = io::FitJson(fit);
      j["streaming"] = {{"processes", r.processes},
                        {"memory_limit_bytes", r.memory_limit},
                        {"chunk_bytes", r.chunk_bytes},
                        {"chunks_rank0", r.chunks},
                        {"scan_seconds", r.scan_seconds},
                        {"build_seconds", r.build_seconds},
                        {"peak_rss_bytes_max_rank", peak_max},
                        {"peak_rss_bytes_per_rank", peak}};
      report.Write(j.dump(2) + "\n");
    } else {
      report.Write(
          io::FitText(fit, options.level) +
          fmt::format("Streaming build: {} process(es), memory limit {:.0f} MiB, chunks of "
                      "{:.0f} MiB; scan {:.2f} s, build {:.2f} s; peak RSS {:.0f} MiB\n",
                      r.processes, r.memory_limit / 1048576.0, r.chunk_bytes / 1048576.0,
                      r.scan_seconds, r.build_seconds, peak_max / 1048576.0));
    }
    return 0;
  });
}

}  // namespace

Runner AddFitCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "fit",
      "Fit a linear mixed model by REML (default) or ML and report fixed effects (estimate, SE, z, "
      "p, CI), variance components (with SEs and CIs as Stata computes them), log-likelihood, "
      "AIC/BIC, the LR test against the linear model, the Wald test, convergence diagnostics; with "
      "--ddf, t tests with small-sample degrees of freedom and Type III F tests of each fixed "
      "term (as lmerTest's anova).");
  auto f = std::make_shared<FitFlags>();
  AddDataFlags(*command, f->data);
  auto* reml = command->add_flag("--reml", f->reml, "restricted maximum likelihood (the default)");
  auto* ml = command->add_flag("--ml", f->ml, "maximum likelihood");
  reml->excludes(ml);
  command->add_option("--format", f->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  command->add_option("--output", f->output, "write the report to FILE (atomically), not stdout");
  command->add_option("--backend", f->backend,
                      "auto (default: the GPU from 100,000 rows when a device can take the model, "
                      "else the CPU, with a note saying why when a device was there), cpu, or gpu "
                      "(fails naming why when the GPU cannot run)")
      ->check(CLI::IsMember({"auto", "cpu", "gpu"}));
  command->add_option("--ranef", f->ranef,
                      "write conditional modes (BLUPs) with conditional variances to this CSV");
  command->add_option("--predict", f->predict,
                      "write fitted values and residuals of the used rows to this CSV");
  command->add_option("--level", f->level, "confidence level in percent (default 95)")
      ->check(CLI::Range(10.0, 99.99));
  command->add_option(
      "--ddf", f->ddf,
      "denominator degrees of freedom of the fixed-effects tests: none (z and chi2, the "
      "default), residual, between-within, containment, satterthwaite[,eim|oim] (default oim, "
      "as lmerTest) or kenward-roger[,eim|oim] (default eim, as pbkrtest; adjusted SEs); the last "
      "two need REML");
  command->add_option("--test", f->tests,
                      "test a linear hypothesis on the coefficients by name, e.g. \"factor(drug)2 = "
                      "factor(drug)3\", \"2*a + b = 3\", joint \"a = 0, b = 0\" (repeatable)")
      ->allow_extra_args(false);
  command->add_option("--responses", f->responses,
                      "fit each of these response columns (comma-separated; glob patterns such as "
                      "'y*' match column names, less the right-hand side's) with the formula's "
                      "right-hand side and one shared design; rows missing any listed response are "
                      "dropped from every fit. JSON array to stdout/--output, or one file per "
                      "response with --output-dir; exit code 4 when some responses fail")
      ->delimiter(',');
  command->add_option("--output-dir", f->output_dir,
                      "with --responses: write DIR/<response>.json (or .error.json) and "
                      "DIR/summary.csv");
  command->add_option("--residuals", f->residuals,
                      "residual error structure within the lowest-level groups, as Stata's "
                      "residuals(): independent, exchangeable, ar(#, time = T), ma(#, time = T), "
                      "toeplitz(#, time = T), banded(#, time = T), unstructured(time = T), "
                      "exponential(time = T), each optionally with by = VAR (and group = VAR "
                      "to name the clusters), e.g. \"ar(2, time = time)\"; on the GPU for one "
                      "random-effect term whose levels are the clusters");
  command->add_option("--memory-limit", f->memory_limit,
                      "stream the data file in chunks instead of reading it into memory, keeping "
                      "memory under SIZE (e.g. 2G, 512M): memory then grows with the number of "
                      "clusters, not rows. One random-effect term with one grouping column; "
                      "--ddf none; no --predict, --residuals, --responses. With --backend gpu (or "
                      "auto from 100,000 rows) each process evaluates its clusters on its GPU. "
                      "Under mpirun with several ranks this mode is used always (default SIZE 2G "
                      "per rank; rank r uses device r mod count of its node)");
  return [command, f]() {
    if (!command->parsed()) return -1;
    FitOptions options;
    options.reml = !f->ml;
    options.threads = f->data.threads;
    options.backend = f->backend == "gpu"   ? BackendChoice::kGpu
                      : f->backend == "cpu" ? BackendChoice::kCpu
                                            : BackendChoice::kAuto;
    if (!(f->level >= 10 && f->level <= 99.99))  // CLI::Range lets NaN through
      throw UsageError(
          fmt::format("--level: expected a percentage in [10, 99.99], got {}", f->level));
    options.level = f->level / 100.0;
    options.conditional_modes = !f->ranef.empty() || !f->predict.empty();
    ParseDdfOption(f->ddf, options);
    options.tests = f->tests;
    CheckOutputPaths({{"--data", f->data.data}},
                     {{"--output", f->output}, {"--ranef", f->ranef}, {"--predict", f->predict}});
    if (!f->output_dir.empty() && f->responses.empty())
      throw UsageError("--output-dir applies with --responses only");
    if (!f->output_dir.empty() && !f->output.empty())
      throw UsageError("--output and --output-dir are alternatives: one JSON array to a file, or "
                       "one file per response in a directory");
    if (!f->memory_limit.empty() || dist::LaunchedAsManyRanks())
      return FitStreamedAndReport(*f, options);
    if (!f->responses.empty()) {
      if (!f->residuals.empty()) throw UsageError("--residuals does not apply with --responses");
      if (!f->ranef.empty() || !f->predict.empty())
        throw UsageError("--ranef and --predict do not apply with --responses");
      return batch::FitAndReportResponses(ToLoadOptions(f->data), f->responses, options,
                                          {command->count("--format") > 0 ? f->format : "json",
                                           f->output, f->output_dir});
    }
    const LoadOptions load = ToLoadOptions(f->data);
    const OutputFile ranef(f->ranef);
    const OutputFile predict(f->predict);
    const OutputFile report(f->output);
    const LoadedModel model = LoadModel(load);
    SetResiduals(f->residuals, load, options);
    const FitResult fit = Fit(model.frame, options);
    if (ranef.given()) ranef.Write(io::RanefCsv(fit));
    if (predict.given()) predict.Write(io::PredictCsv(fit, model.frame));
    report.Write(f->format == "json" ? io::FitJson(fit).dump(2) + "\n"
                                     : io::FitText(fit, options.level));
    return 0;
  };
}

}  // namespace lmm::cli
