// The `lmmgpu` subcommands. Each Add* registers its flags on the app and returns the function that
// runs it after parsing; the function returns the process exit code or throws lmm::Error.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace lmm::cli {

using Runner = std::function<int()>;

Runner AddBatchCommand(CLI::App& app);
Runner AddDescribeCommand(CLI::App& app);
Runner AddFitCommand(CLI::App& app);
Runner AddLrtestCommand(CLI::App& app);
Runner AddSimulateCommand(CLI::App& app);

}  // namespace lmm::cli
