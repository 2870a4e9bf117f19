// `lmmgpu fit` output: a readable summary (lme4's summary and Stata's tables are the models), JSON
// with stable keys for scripts, and CSV files of conditional modes and of fitted values.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "lmm/fit_result.h"
#include "lmm/model_frame.h"

namespace lmm::io {

// `level`: the confidence level of the fit's intervals (FitOptions::level), for the column titles.
std::string FitText(const FitResult& fit, double level);
// Keys documented in README.md; NaN values are written as null.
nlohmann::json FitJson(const FitResult& fit);
// One row per level and column: group,level,term,estimate,cond_var (the conditional mode and its
// conditional variance, lme4's ranef(condVar = TRUE)).
std::string RanefCsv(const FitResult& fit);
// One row per used data row: row (1-based data row), observed, fitted, residual.
std::string PredictCsv(const FitResult& fit, const ModelFrame& frame);

}  // namespace lmm::io
