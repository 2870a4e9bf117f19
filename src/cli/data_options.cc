#include "cli/data_options.h"

#include "lmm/error.h"

namespace lmm::cli {

void AddDataFlags(CLI::App& command, DataFlags& flags) {
  command.add_option("--data", flags.data, "CSV file with a header row")->required();
  command.add_option("--formula", flags.formula,
                     "lme4 formula, e.g. \"Reaction ~ Days + (Days | Subject)\"")
      ->required();
  command.add_option("--sep", flags.sep,
                     "field separator: one ASCII character, or 'tab' (default ',')");
  command.add_option("--na", flags.na,
                     "comma-separated missing-value tokens; an empty item means the empty cell "
                     "(default \",NA,NaN,.\")");
  command
      .add_option("--threads", flags.threads,
                  "worker threads, 0 to 4096 (default 0: all cores; at most 256 are started)")
      ->check(CLI::Range(0, 4096));
}

LoadOptions ToLoadOptions(const DataFlags& flags) {
  LoadOptions options;
  options.data_path = flags.data;
  options.formula = flags.formula;
  if (flags.sep == "tab" || flags.sep == "\\t" || flags.sep == "\t") {
    options.csv.separator = '\t';
  } else if (flags.sep.size() == 1 && static_cast<unsigned char>(flags.sep[0]) < 0x80 &&
             flags.sep != "\"" && flags.sep != "\n" && flags.sep != "\r") {
    options.csv.separator = flags.sep[0];
  } else {
    throw UsageError(
        "--sep must be one ASCII character (not a quote or line break) or 'tab', got '" +
        flags.sep + "'");
  }
  options.csv.na_tokens.clear();
  size_t start = 0;
  while (true) {
    const size_t comma = flags.na.find(',', start);
    options.csv.na_tokens.push_back(flags.na.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  options.csv.threads = flags.threads;
  return options;
}

}  // namespace lmm::cli
