// Kenward-Roger (variance pieces from cluster sums, adjusted covariance, per-coefficient df and
// the F tests) at the REML estimate, the fit itself excluded (it runs once, untimed):
//  Crossed: y ~ x1 + (1 + x1 | g) + (1 | h), n = 5000, 500 levels of g, 50 of h (one dense
//    cluster of q = 1050 random effects); target < 1 s (pbkrtest's KRmodcomp on this machine:
//    49 s at n = 2,000 and not done in 600 s at n = 5,000: benchmarks/compare_pbkrtest.sh).
//  Nested: y ~ x1 + (1 + x1 | g), n = 1,000,000 rows in 100,000 clusters; target < 10 s.
// Data from SimulateCsv (`lmmgpu simulate`), read by the real loader.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>

#include "inference/ddf/small_sample.h"
#include "likelihood/fit_core.h"
#include "lmm/fit.h"
#include "lmm/load.h"
#include "lmm/simulate.h"

namespace lmm {
namespace {

struct Fitted {
  ModelFrame frame;
  FitCoreResult core;
};

const Fitted& Model(const std::string& name) {
  static std::map<std::string, Fitted> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  SimulationOptions sim;
  std::string formula;
  if (name == "crossed") {
    sim.rows = 5000;
    sim.clusters = 500;
    sim.crossed_levels = 50;
    sim.covariates = 1;
    formula = "y ~ x1 + (1 + x1 | g) + (1 | h)";
  } else {
    sim.rows = 1000000;
    sim.clusters = 100000;
    sim.covariates = 1;
    formula = "y ~ x1 + (1 + x1 | g)";
  }
  const std::string path =
      (std::filesystem::temp_directory_path() / ("lmm_ddf_bench_" + name + ".csv")).string();
  SimulateCsv(sim, path);
  LoadOptions load;
  load.data_path = path;
  load.formula = formula;
  Fitted f;
  f.frame = LoadModel(load).frame;
  std::filesystem::remove(path);
  f.core = FitCore(f.frame, FitCoreOptions{});
  return cache.emplace(name, std::move(f)).first->second;
}

void KenwardRoger(benchmark::State& state, const std::string& name) {
  const Fitted& m = Model(name);
  const ThetaLayout layout(m.frame);
  for (auto _ : state) {
    FitResult fit;
    for (Eigen::Index j = 0; j < m.core.beta.size(); ++j) {
      FixedEffect fe;
      fe.term = m.frame.fixed_names[static_cast<size_t>(j)];
      fe.estimate = m.core.beta(j);
      fit.fixed_effects.push_back(fe);
    }
    const inference::ddf::FittedModel model{
        m.frame, layout, m.core.theta, m.core.sigma2, m.core.beta, m.core.beta_covariance, true};
    inference::ddf::SmallSampleOptions options;
    options.method = DdfMethod::kKenwardRoger;
    options.threads = 2;
    inference::ddf::ApplySmallSampleInference(model, options, &fit);
    benchmark::DoNotOptimize(fit.fixed_effects.back().df);
  }
  state.counters["n"] = static_cast<double>(m.frame.n());
  state.counters["fit_s"] = m.core.seconds;
}

BENCHMARK_CAPTURE(KenwardRoger, crossed_n5000_h50, std::string("crossed"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK_CAPTURE(KenwardRoger, nested_n1M_100k_clusters, std::string("nested"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2);

}  // namespace
}  // namespace lmm
BENCHMARK_MAIN();
