// `lmmgpu fit`: placeholder until the fitting engine lands; it validates the model like describe.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/data_options.h"
#include "lmm/error.h"

namespace lmm::cli {

Runner AddFitCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand("fit", "Fit a linear mixed model by REML (default) or ML.");
  auto flags = std::make_shared<DataFlags>();
  AddDataFlags(*command, *flags);
  return [command, flags]() {
    if (!command->parsed()) return -1;
    LoadModel(ToLoadOptions(*flags));
    throw Error(ErrorKind::kInternal, "fit: the fitting engine is not built yet");
  };
}

}  // namespace lmm::cli
