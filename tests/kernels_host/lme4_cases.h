// The lme4 deviance fixture (tests/data/likelihood/lme4_deviances.json: lme4's ML and REML
// objectives of the shared data sets' models at given theta) as the kernel-host and GPU tests walk
// it: each case with its model frame, loaded once per formula.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "likelihood/frame_loader.h"
#include "lmm/model_frame.h"

namespace lmm::test {

inline const nlohmann::json& Lme4Fixture() {
  static const nlohmann::json j = [] {
    std::ifstream in(std::string(LMM_TEST_DATA_DIR) + "/likelihood/lme4_deviances.json");
    return nlohmann::json::parse(in);
  }();
  return j;
}

struct Lme4Case {
  const ModelFrame& frame;
  std::vector<double> theta;
  bool reml = false;
  double value = 0;  // lme4's objective at theta
};

enum class Lme4Terms { kOne, kSeveral };

// Calls f(Lme4Case) for each fixture case whose model has one random-effect term (kOne) or more
// (kSeveral), in fixture order, under a SCOPED_TRACE naming the data set, formula, criterion and
// point. Returns the number of cases visited (the tests check it against the fixture's count).
template <typename F>
int ForEachLme4Case(Lme4Terms terms, F&& f) {
  std::map<std::string, ModelFrame> frames;
  int cases = 0;
  for (const nlohmann::json& c : Lme4Fixture()["cases"]) {
    if ((c["terms"].size() == 1) != (terms == Lme4Terms::kOne)) continue;
    const std::string dataset = c["dataset"], formula = c["formula"];
    const bool reml = c["reml"];
    SCOPED_TRACE(dataset + " " + formula + (reml ? " REML " : " ML ") + std::string(c["which"]));
    auto it = frames.find(formula);
    if (it == frames.end())
      it = frames.emplace(formula, LoadFrame(LMM_SHARED_DIR, dataset, formula)).first;
    f(Lme4Case{it->second, c["theta"].get<std::vector<double>>(), reml, c["value"].get<double>()});
    ++cases;
  }
  return cases;
}

}  // namespace lmm::test
