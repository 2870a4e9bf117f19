// Helpers of the batch tests: running lmmgpu (in the foreground or as a child to kill), temporary
// directories, files and JSON with timing fields removed.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/cli_runner.h"

namespace lmm::batch_testing {

// Running lmmgpu, temporary directories and reading files: the shared test support.
using lmm::testing::CliResult;
using lmm::testing::ReadFile;
using lmm::testing::RunCli;
using lmm::testing::TempDir;

// Starts LMMGPU_EXE with `args` as a child process (stdout and stderr to /dev/null); returns its
// pid.
pid_t StartCli(const std::vector<std::string>& args);

// Copies ../shared/data/NAME into `dir`; returns the new path.
std::string CopySharedData(const std::string& name, const std::string& dir);

// `fit --format json` (or a batch result) with every "seconds" member removed, at any depth.
nlohmann::json WithoutTimes(nlohmann::json j);

// A file's text without its lines that hold a "seconds" member (JSON written with dump(2) puts
// one member per line), for byte comparisons of results.
std::string WithoutSecondsLines(const std::string& text);

// File names in `dir`, sorted.
std::vector<std::string> ListDir(const std::string& dir);

}  // namespace lmm::batch_testing
