// Helpers for the small-sample inference tests: model frames from CSV files through the real
// loader, fits with a DDF method, and reference JSON files.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "lmm/error.h"
#include "lmm/fit.h"
#include "lmm/load.h"

namespace lmm::testing {

inline ModelFrame LoadFrame(const std::string& path, const std::string& formula) {
  LoadOptions options;
  options.data_path = path;
  options.formula = formula;
  return LoadModel(options).frame;
}

inline FitResult FitWith(const ModelFrame& frame, DdfMethod method,
                         InformationChoice information = InformationChoice::kDefault,
                         bool reml = true) {
  FitOptions options;
  options.reml = reml;
  options.ddf = method;
  options.information = information;
  options.conditional_modes = false;
  return Fit(frame, options);
}

inline nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return nlohmann::json::parse(in);
}

inline std::string SharedDir() { return LMM_SHARED_DIR; }
inline std::string TestDataDir() { return LMM_TEST_DATA_DIR; }

inline double RelErr(double a, double b) { return std::abs(a - b) / std::abs(b); }

}  // namespace lmm::testing
