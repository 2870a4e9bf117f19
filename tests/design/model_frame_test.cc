// BuildModelFrame against R: tests/data/design/model_matrices.json is written by
// scripts/model_matrix_fixtures.R (lme4 1.1-31 lFormula / model.matrix on the shared datasets).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lmm/load.h"

namespace lmm {
namespace {

std::string SharedData(const std::string& name) {
  return std::string(LMM_SHARED_DIR) + "/data/" + name + ".csv";
}

nlohmann::json Fixtures() {
  std::ifstream in(std::string(LMM_TEST_DATA_DIR) + "/design/model_matrices.json");
  return nlohmann::json::parse(in);
}

// Column sums, sums of squares and the first rows of X agree with R to 1e-12 relative: both sides
// add the same doubles (indicators, copied numbers, or one pow/log per cell), so only summation
// order differs.
TEST(ModelFrame, MatchesRModelMatrixOnSharedData) {
  if (!std::filesystem::exists(SharedData("sleepstudy"))) GTEST_SKIP() << "no ../shared/data";
  for (const auto& c : Fixtures()) {
    const std::string formula = c["formula"];
    SCOPED_TRACE(c["dataset"].get<std::string>() + ": " + formula);
    LoadOptions options;
    options.data_path = SharedData(c["dataset"]);
    options.formula = formula;
    const ModelFrame f = LoadModel(options).frame;
    ASSERT_EQ(f.n(), c["nobs"].get<int64_t>());
    const auto columns = c["columns"].is_array() ? c["columns"].get<std::vector<std::string>>()
                                                 : std::vector<std::string>{c["columns"]};
    ASSERT_EQ(f.fixed_names, columns);
    const auto to_vec = [](const nlohmann::json& j) {
      return j.is_array() ? j.get<std::vector<double>>() : std::vector<double>{j.get<double>()};
    };
    const std::vector<double> sums = to_vec(c["colsums"]), sumsq = to_vec(c["colsumsq"]);
    for (int j = 0; j < f.p(); ++j) {
      EXPECT_NEAR(f.x.col(j).sum(), sums[j], 1e-12 * std::max(1.0, std::abs(sums[j]))) << j;
      EXPECT_NEAR(f.x.col(j).squaredNorm(), sumsq[j], 1e-12 * std::max(1.0, sumsq[j])) << j;
    }
    int row = 0;
    for (const auto& head_row : c["head"]) {
      const std::vector<double> values = to_vec(head_row);
      for (int j = 0; j < f.p(); ++j) EXPECT_DOUBLE_EQ(f.x(row, j), values[j]) << row << "," << j;
      ++row;
    }
    EXPECT_NEAR(f.y.sum(), c["y_sum"].get<double>(), 1e-10 * std::abs(c["y_sum"].get<double>()));
    for (const auto& [name, levels] : c["groups"].items()) {
      const auto it = std::find_if(f.groups.begin(), f.groups.end(),
                                   [&](const GroupSummary& g) { return g.name == name; });
      ASSERT_NE(it, f.groups.end()) << name;
      EXPECT_EQ(it->levels, levels.get<int64_t>()) << name;
    }
    ASSERT_EQ(f.groups.size(), c["groups"].size());
  }
}

TEST(ModelFrame, ReferenceFitsDescribeTheirModels) {
  const std::filesystem::path dir = std::string(LMM_SHARED_DIR) + "/reference";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no ../shared/reference";
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path());
    const nlohmann::json ref = nlohmann::json::parse(in);
    SCOPED_TRACE(entry.path().filename().string());
    LoadOptions options;
    // "data": "shared/data/x.csv", relative to the directory that holds shared/
    options.data_path = std::string(LMM_SHARED_DIR) + "/" +
                        ref["data"].get<std::string>().substr(std::string("shared/").size());
    options.formula = ref["formula"];
    const ModelFrame f = LoadModel(options).frame;
    EXPECT_EQ(f.n(), ref["nobs"].get<int64_t>());
    std::vector<std::string> names;
    for (const auto& [name, _] : ref["fixed"].items()) names.push_back(name);
    std::vector<std::string> ours = f.fixed_names;
    std::sort(names.begin(), names.end());  // json objects come back sorted by key
    std::sort(ours.begin(), ours.end());
    EXPECT_EQ(ours, names);
    if (ref.contains("ngroups")) {
      ASSERT_EQ(f.groups.size(), ref["ngroups"].size());
      for (const GroupSummary& g : f.groups) EXPECT_EQ(ref["ngroups"].at(g.name), g.levels) << g.name;
    }
    ++checked;
  }
  EXPECT_GE(checked, 12);
}

}  // namespace
}  // namespace lmm
