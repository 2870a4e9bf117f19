// Per-evaluation time of the CPU evaluator (one Update + Objective) on sleepstudy, insteval and
// simulated one-factor data (10 rows per cluster) of growing n, where the time per evaluation must
// stay flat in n for a fixed number of clusters, and grow linearly with clusters; and the whole
// insteval ML fit (FitCore).
#include <benchmark/benchmark.h>

#include <random>

#include "../tests/likelihood/frame_loader.h"
#include "likelihood/evaluator.h"
#include "likelihood/fit_core.h"

namespace lmm {
namespace {

const ModelFrame& Sleepstudy() {
  static const ModelFrame f =
      test::LoadFrame(LMM_SHARED_DIR, "sleepstudy", "Reaction ~ Days + (Days | Subject)");
  return f;
}

const ModelFrame& Insteval() {
  static const ModelFrame f = test::LoadFrame(
      LMM_SHARED_DIR, "insteval", "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)");
  return f;
}

// y = 1 + x + b_g + e with `clusters` clusters of rows_per_cluster rows, random intercept and
// slope (q = 2) per cluster.
ModelFrame Simulated(int64_t clusters, int64_t rows_per_cluster) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> normal;
  const int64_t n = clusters * rows_per_cluster;
  ModelFrame f;
  f.y.resize(n);
  f.x.resize(n, 2);
  RandomEffectTerm t;
  t.group = t.grouping_factor = "g";
  t.names = {"(Intercept)", "x"};
  t.levels = clusters;
  t.z.resize(n, 2);
  for (int64_t c = 0, i = 0; c < clusters; ++c) {
    const double b0 = normal(rng), b1 = 0.5 * normal(rng);
    for (int64_t r = 0; r < rows_per_cluster; ++r, ++i) {
      const double x = normal(rng);
      f.x(i, 0) = 1.0;
      f.x(i, 1) = x;
      t.z(i, 0) = 1.0;
      t.z(i, 1) = x;
      t.level.push_back(static_cast<int32_t>(c));
      f.y(i) = 1 + x + b0 + b1 * x + normal(rng);
    }
  }
  f.random.push_back(std::move(t));
  return f;
}

void RunEvaluations(benchmark::State& state, const ModelFrame& frame,
                    RestFactorization rest = RestFactorization::kAuto) {
  EvaluatorOptions options;
  options.threads = static_cast<int>(state.range(0));
  options.rest = rest;
  const std::unique_ptr<Evaluator> ev = Evaluator::Create(frame, options);
  std::vector<double> theta = ev->layout().start();
  double sum = 0;
  for (auto _ : state) {
    theta[0] += 1e-9;
    if (!ev->Update(theta).ok()) state.SkipWithError("factorization failed");
    sum += ev->Objective(true);
  }
  benchmark::DoNotOptimize(sum);
  state.counters["n"] = static_cast<double>(frame.n());
}

void BM_Sleepstudy(benchmark::State& state) { RunEvaluations(state, Sleepstudy()); }
void BM_Insteval(benchmark::State& state) { RunEvaluations(state, Insteval()); }
// The same evaluation with S (1,159 x 1,159, about 20% nonzero) factored densely and
// supernodally: side by side, so that the ratio is measured under the same load.
void BM_InstevalDenseRest(benchmark::State& state) {
  RunEvaluations(state, Insteval(), RestFactorization::kDense);
}
void BM_InstevalSupernodalRest(benchmark::State& state) {
  RunEvaluations(state, Insteval(), RestFactorization::kSupernodal);
}

// Fixed 10^4 clusters, rows per cluster 10 and 100: n = 1e5 and 1e6, time must not change.
void BM_FixedClusters(benchmark::State& state) {
  static std::map<int64_t, ModelFrame> frames;
  const int64_t rows = state.range(1);
  if (!frames.count(rows)) frames.emplace(rows, Simulated(10000, rows));
  RunEvaluations(state, frames.at(rows));
}

// 10 rows per cluster, n = 1e5 and 1e6: time grows with clusters, not rows.
void BM_TenRowsPerCluster(benchmark::State& state) {
  static std::map<int64_t, ModelFrame> frames;
  const int64_t n = state.range(1);
  if (!frames.count(n)) frames.emplace(n, Simulated(n / 10, 10));
  RunEvaluations(state, frames.at(n));
}

void BM_InstevalFitMl(benchmark::State& state) {
  FitCoreOptions options;
  options.reml = false;
  options.threads = static_cast<int>(state.range(0));
  options.conditional_effects = false;
  for (auto _ : state) {
    const FitCoreResult fit = FitCore(Insteval(), options);
    state.counters["evaluations"] = fit.optimizer.evaluations + fit.convergence.evaluations;
    state.counters["loglik"] = fit.loglik;
  }
}

BENCHMARK(BM_Sleepstudy)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Insteval)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InstevalDenseRest)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InstevalSupernodalRest)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FixedClusters)
    ->Args({1, 10})
    ->Args({1, 100})
    ->Args({2, 10})
    ->Args({2, 100})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TenRowsPerCluster)
    ->Args({1, 100000})
    ->Args({1, 1000000})
    ->Args({2, 100000})
    ->Args({2, 1000000})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InstevalFitMl)->Arg(2)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
}  // namespace lmm

BENCHMARK_MAIN();
