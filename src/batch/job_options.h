// A manifest job's option texts turned into what LoadModel and Fit take.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "batch/manifest.h"
#include "lmm/fit.h"
#include "lmm/load.h"

namespace lmm::batch {

struct JobSettings {
  LoadOptions load;
  FitOptions fit;
  bool ranef = false;    // write <id>.ranef.csv
  bool predict = false;  // write <id>.predict.csv
  // The options in one canonical form (defaults filled in, threads left out since results do not
  // depend on them): part of the inputs record that --resume compares.
  nlohmann::json canonical;
};

// Defaults are `lmmgpu fit`'s. `default_threads` applies when the job sets no "threads".
// Throws lmm::Error(kUsage) naming the job for a value that is not understood:
//   method REML|ML; ddf as `fit --ddf`; backend auto|cpu|gpu; level in percent (10 to 99.99);
//   test: hypotheses separated by ';'; ranef, predict: true|false|1|0|yes|no; sep one character
//   or "tab"; na: comma-separated tokens as `fit --na`; threads >= 0.
JobSettings ParseJobSettings(const BatchJob& job, int default_threads);


}  // namespace lmm::batch
