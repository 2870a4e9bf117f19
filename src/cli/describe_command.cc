// `lmmgpu describe`: what will be fitted, without fitting.
#include <memory>

#include "cli/commands.h"
#include "cli/data_options.h"
#include "cli/output_paths.h"
#include "io/describe_report.h"

namespace lmm::cli {

Runner AddDescribeCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "describe",
      "Print what will be fitted: response, fixed-effect columns, rows read/used/dropped by "
      "reason, random-effect terms with their grouping factors and group sizes, and the block "
      "structure of the engine.");
  auto flags = std::make_shared<DataFlags>();
  auto format = std::make_shared<std::string>("text");
  auto output = std::make_shared<std::string>();
  AddDataFlags(*command, *flags);
  command->add_option("--format", *format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  command->add_option("--output", *output, "write to this file (atomically) instead of stdout");
  return [command, flags, format, output]() {
    if (!command->parsed()) return -1;
    CheckOutputPaths({{"--data", flags->data}}, {{"--output", *output}});
    const OutputFile report(*output);
    const LoadedModel model = LoadModel(ToLoadOptions(*flags));
    report.Write(*format == "json" ? io::DescribeJson(model).dump(2) + "\n"
                                   : io::DescribeText(model));
    return 0;
  };
}

}  // namespace lmm::cli
