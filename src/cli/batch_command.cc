// `lmmgpu batch`: fit every job of a manifest into an output directory.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "batch/batch_run.h"
#include "cli/commands.h"

namespace lmm::cli {
namespace {

constexpr const char* kDescription =
    "Fit every job of a MANIFEST into DIR. Each job writes DIR/<id>.json (the JSON of `fit "
    "--format json` plus \"id\", \"inputs\" and \"seconds\"; with ranef/predict also "
    "DIR/<id>.ranef.csv, DIR/<id>.predict.csv), every file atomically; a job that fails (bad data "
    "or formula, numerical failure, no convergence) writes DIR/<id>.error.json {id, status, "
    "exit_code, message} and the others go on. DIR/summary.csv lists every job: "
    "id,status,loglik,seconds,backend,message.";

constexpr const char* kFooter =
    "MANIFEST is JSON or CSV. JSON: an array of objects (or {\"jobs\": [...]}), e.g.\n"
    "  [{\"id\": \"sleep\", \"data\": \"sleep.csv\", \"formula\": \"Reaction ~ Days + (Days | "
    "Subject)\",\n"
    "    \"method\": \"ML\", \"ddf\": \"residual\", \"ranef\": true}]\n"
    "CSV: a header row, then one job per row; empty cells take the defaults, e.g.\n"
    "  id,data,formula,method\n"
    "  sleep,sleep.csv,Reaction ~ Days + (Days | Subject),REML\n"
    "Keys/columns: id (letters, digits, _ - .), data (relative to the manifest's directory), "
    "formula;\n"
    "optional: method REML|ML, ddf (as fit --ddf), backend auto|cpu|gpu, level (percent), test\n"
    "(hypotheses, ';'-separated or a JSON array), ranef, predict (true|false), sep, na, threads.\n"
    "--resume keeps DIR/<id>.json whose recorded inputs (data size and FNV-1a 64 hash, formula,\n"
    "options) are unchanged and reruns the rest, failed jobs included.\n"
    "Exit codes: 0 every job succeeded; 4 some jobs failed (counts on stderr); 2 bad manifest\n"
    "(FILE:LINE[:COLUMN]) or command line; 1 internal error.";

struct BatchFlags {
  std::string manifest;
  std::string out_dir;
  bool resume = false;
  int threads = 0;
  int jobs = 1;
};

}  // namespace

Runner AddBatchCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand("batch", kDescription);
  command->footer(kFooter);
  auto f = std::make_shared<BatchFlags>();
  command->add_option("MANIFEST", f->manifest, "job list, JSON or CSV")->required();
  command->add_option("--out-dir", f->out_dir, "directory for results (created if needed)")
      ->required();
  command->add_flag("--resume", f->resume,
                    "skip jobs whose result exists with unchanged inputs; rerun the others");
  command
      ->add_option("--threads", f->threads,
                   "worker threads per fit, 0 to 4096 (default 0: all cores, shared among --jobs)")
      ->check(CLI::Range(0, 4096));
  command->add_option("--jobs", f->jobs, "jobs fitted at the same time, 1 to 4096 (default 1)")
      ->check(CLI::Range(1, 4096));
  return [command, f]() {
    if (!command->parsed()) return -1;
    batch::BatchOptions options;
    options.manifest = f->manifest;
    options.out_dir = f->out_dir;
    options.resume = f->resume;
    options.threads = f->threads;
    options.jobs = f->jobs;
    options.log = stderr;
    options.terminal = ::isatty(STDERR_FILENO) != 0;
    const batch::BatchCounts counts = batch::RunBatch(options);
    fmt::print(
        stderr, "lmmgpu batch: {} jobs: {} ok ({} kept from an earlier run), {} failed; see {}\n",
        counts.total, counts.ok, counts.resumed, counts.failed, options.out_dir + "/summary.csv");
    return counts.failed == 0 ? 0 : 4;
  };
}

}  // namespace lmm::cli
