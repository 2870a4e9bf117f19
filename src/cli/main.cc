// lmmgpu: thin main over the library. Exit codes: 0 success, 2 usage or data error,
// 3 numerical failure, 4 some batch jobs failed, 1 internal error.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <vector>

#include "cli/commands.h"
#include "lmm/error.h"
#include "lmm/version.h"

namespace {

constexpr const char* kFooter =
    "Exit codes: 0 success (a fit that did not meet the convergence checks is reported with\n"
    "'Converged: NO' and exit 0); 2 usage or data error (message names the file:line:column or\n"
    "the formula position); 3 numerical failure; 4 batch or --responses: some jobs failed, the\n"
    "others completed; 1 out of memory or internal error. Output files (--output, --ranef,\n"
    "--predict) are written atomically and may not be the --data file or each other.";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("lmmgpu: linear mixed models (lme4 formulas) fitted by REML or ML on CPU or GPU",
               "lmmgpu");
  app.footer(kFooter);
  app.require_subcommand(0, 1);
  bool version = false;
  app.add_flag("--version", version, "print version, build type, CUDA support and devices seen");
  std::vector<lmm::cli::Runner> runners = {lmm::cli::AddFitCommand(app),
                                           lmm::cli::AddDescribeCommand(app),
                                           lmm::cli::AddSimulateCommand(app),
                                           lmm::cli::AddLrtestCommand(app),
                                           lmm::cli::AddBatchCommand(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  try {
    if (version) {
      std::cout << lmm::VersionReport();
      return 0;
    }
    for (const auto& run : runners) {
      const int code = run();
      if (code >= 0) return code;
    }
    std::cout << app.help();
    return 2;
  } catch (const lmm::Error& e) {
    std::cerr << "lmmgpu: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::cerr << "lmmgpu: out of memory (for data larger than memory, fit one-term models with "
                 "--memory-limit, which streams the file)\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "lmmgpu: internal error: " << e.what() << "\n";
    return 1;
  }
}
