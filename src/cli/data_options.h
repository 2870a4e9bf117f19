// Flags shared by every command that reads a data file with a formula.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "lmm/load.h"

namespace lmm::cli {

struct DataFlags {
  std::string data;
  std::string formula;
  std::string sep = ",";
  std::string na = ",NA,NaN,.";
  int threads = 0;
};

void AddDataFlags(CLI::App& command, DataFlags& flags);

// Turns the flags into load options; throws lmm::Error(kUsage) for a bad --sep.
LoadOptions ToLoadOptions(const DataFlags& flags);

}  // namespace lmm::cli
