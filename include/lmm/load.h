// From a data file and a formula text to the model frame the engines fit.
#pragma once

#include <string>

#include "lmm/data_frame.h"
#include "lmm/formula.h"
#include "lmm/model_frame.h"

namespace lmm {

struct LoadOptions {
  std::string data_path;
  std::string formula;
  CsvOptions csv;  // `keep` is set from the formula's columns
};

struct LoadedModel {
  std::string data_path;
  Formula formula;
  ModelFrame frame;
};

// Parses the formula, reads only the columns it uses, and builds the model frame.
// Throws lmm::Error (usage for the formula, data for the file and the design).
LoadedModel LoadModel(const LoadOptions& options);

}  // namespace lmm
