// `lmmgpu describe`: what will be fitted, as text (for people) or JSON (for scripts and tests).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "lmm/load.h"

namespace lmm::io {

std::string DescribeText(const LoadedModel& model);
nlohmann::json DescribeJson(const LoadedModel& model);

}  // namespace lmm::io
