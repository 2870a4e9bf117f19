// Many responses on one design on the GPU (fit --responses' lock-step path: groups of up to
// kLockstepGroup fits, every round of their evaluations in one launch; likelihood/
// lockstep_coordinator.h, kernels/response_kernels.h) against the CPU path fit --responses takes
// otherwise (shared cross-products, one CpuEvaluator fit per response, responses in parallel on
// every core).
//
// The design: y ~ x1 + x2 + (1 + z | g) (p = 3, q = 2), --rows R rows (default 10000) in
// --clusters C clusters (default 500, rows assigned round-robin), simulated in memory; --responses
// K responses (default 10000), each with its own fixed effects, cluster variances and noise.
// Prints, for each path, the wall time, time per response and failures, then the speedup and
// max |loglik_gpu - loglik_cpu| and max relative difference of the fixed effects over the
// responses both fitted. --cpu-responses M fits only the first M responses on the CPU (default
// all). REML; --ml for ML.
//
// Prints one skip line and exits 0 when the build has no CUDA backend or no device is usable.
// Not yet run on a GPU.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gpu_bench_util.h"

#if LMM_HAVE_CUDA

#include "batch/responses_fit.h"
#include "batch/responses_hash.h"
#include "batch/responses_lockstep.h"
#include "likelihood/cpu/cross_products.h"
#include "likelihood/gpu/cluster_pack.h"
#include "likelihood/gpu/gpu_response_batch.h"
#include "likelihood/lockstep_coordinator.h"
#include "lmm/fit.h"
#include "model/theta_layout.h"

namespace lmm {
namespace {

using bench::Clock;
using bench::Seconds;

struct Args {
  int64_t rows = 10000;
  int64_t clusters = 500;
  int responses = 10000;
  int cpu_responses = -1;
  bool reml = true;
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "gpu_responses_bench: %s needs a value\n", s.c_str());
        std::exit(1);
      }
      return argv[++i];
    };
    if (s == "--rows")
      a.rows = std::atoll(next());
    else if (s == "--clusters")
      a.clusters = std::atoll(next());
    else if (s == "--responses")
      a.responses = std::atoi(next());
    else if (s == "--cpu-responses")
      a.cpu_responses = std::atoi(next());
    else if (s == "--ml")
      a.reml = false;
    else {
      std::fprintf(stderr,
                   "usage: lmm_gpu_responses_bench [--rows R] [--clusters C] [--responses K] "
                   "[--cpu-responses M] [--ml]\n");
      std::exit(s == "--help" ? 0 : 1);
    }
  }
  if (a.rows < 1 || a.clusters < 1 || a.responses < 1) {
    std::fprintf(stderr, "gpu_responses_bench: sizes must be positive\n");
    std::exit(1);
  }
  if (a.cpu_responses < 0 || a.cpu_responses > a.responses) a.cpu_responses = a.responses;
  return a;
}

ModelFrame Design(const Args& a) {
  std::mt19937_64 rng(2025);
  std::normal_distribution<double> normal;
  ModelFrame f;
  f.formula = "y ~ x1 + x2 + (1 + z | g)";
  f.response = "y";
  const int64_t n = a.rows;
  f.x.resize(n, 3);
  f.y.resize(n);
  f.fixed_names = {"(Intercept)", "x1", "x2"};
  RandomEffectTerm t;
  t.group = t.grouping_factor = "g";
  t.names = {"(Intercept)", "z"};
  t.levels = a.clusters;
  for (int64_t c = 0; c < a.clusters; ++c) t.level_labels.push_back("g" + std::to_string(c));
  t.z.resize(n, 2);
  t.level.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    f.x(i, 0) = 1;
    f.x(i, 1) = normal(rng);
    f.x(i, 2) = normal(rng);
    t.z(i, 0) = 1;
    t.z(i, 1) = normal(rng);
    t.level[i] = static_cast<int32_t>(i % a.clusters);
    f.y(i) = 0;
  }
  f.random.push_back(std::move(t));
  f.rows_read = f.rows_used = n;
  for (int64_t i = 0; i < n; ++i) f.used_rows.push_back(i);
  return f;
}

// Response k: its own seed, so that the CPU and GPU paths see the same values.
batch::PreparedResponse Response(const ModelFrame& f, size_t k) {
  std::mt19937_64 rng(1000 + k);
  std::normal_distribution<double> normal;
  const RandomEffectTerm& t = f.random[0];
  const double sd0 = 0.2 + 0.1 * static_cast<double>(k % 7), sd1 = 0.1 * static_cast<double>(k % 3);
  std::vector<double> b(static_cast<size_t>(t.levels * 2));
  for (int64_t c = 0; c < t.levels; ++c) {
    b[2 * c] = sd0 * normal(rng);
    b[2 * c + 1] = sd1 * normal(rng);
  }
  batch::PreparedResponse p;
  p.label = "y" + std::to_string(k);
  p.formula = p.label + " ~ x1 + x2 + (1 + z | g)";
  p.y.resize(f.n());
  const double b1 = normal(rng), b2 = normal(rng);
  for (int64_t i = 0; i < f.n(); ++i) {
    const int64_t c = t.level[i];
    p.y(i) =
        1 + b1 * f.x(i, 1) + b2 * f.x(i, 2) + b[2 * c] + b[2 * c + 1] * t.z(i, 1) + normal(rng);
  }
  return p;
}

int Main(int argc, char** argv) {
  const Args a = Parse(argc, argv);
  const ModelFrame frame = Design(a);
  FitOptions options;
  options.reml = a.reml;
  options.threads = 1;
  const cpu::CrossProducts shared = cpu::BuildCrossProducts(frame, ThetaLayout(frame));
  const gpu::HostClusters design = gpu::PackClusters(shared);
  Status status;
  std::unique_ptr<GpuResponseBatch> batch =
      GpuResponseBatch::Create(design, kLockstepGroup, &status);
  if (batch == nullptr)
    return bench::Skip("gpu_responses_bench", "no usable CUDA device (" + status.ToString() + ")");
  std::printf("gpu_responses_bench: %s; %lld rows, %lld clusters, %d responses, group %d, %s\n",
              batch->device_name().c_str(), static_cast<long long>(a.rows),
              static_cast<long long>(a.clusters), a.responses, batch->capacity(),
              a.reml ? "REML" : "ML");

  // GPU: lock-step groups.
  std::vector<batch::ResponseOutcome> on_gpu(static_cast<size_t>(a.responses));
  auto t0 = Clock::now();
  batch::LockstepStats stats;
  batch::FitResponsesLockstep(
      frame, shared, design, *batch, options, Backend::kGpu,
      [&](size_t k) { return Response(frame, k); }, on_gpu, [](size_t) { return true; }, &stats);
  const double gpu_seconds = Seconds(t0);

  // CPU: the shared-design path, responses in parallel on every core.
  std::vector<batch::ResponseOutcome> on_cpu(static_cast<size_t>(a.cpu_responses));
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  std::atomic<size_t> next{0};
  t0 = Clock::now();
  auto work = [&]() {
    ModelFrame local = frame;
    for (size_t k; (k = next++) < on_cpu.size();) {
      batch::PreparedResponse p = Response(frame, k);
      local.y = p.y;
      local.formula = p.formula;
      local.response = p.label;
      const Eigen::VectorXd* y = &local.y;
      try {
        on_cpu[k].fit = batch::FitWithSharedDesign(local, options, shared,
                                                   batch::ResponseHashes({&y, 1}).at(0));
        on_cpu[k].status = "ok";
      } catch (const std::exception& e) {
        on_cpu[k].status = "failed";
        on_cpu[k].message = e.what();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < cores; ++w) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  const double cpu_seconds = Seconds(t0);

  int gpu_failed = 0, cpu_failed = 0, compared = 0;
  double max_dloglik = 0, max_dbeta = 0;
  for (size_t k = 0; k < on_gpu.size(); ++k) {
    if (on_gpu[k].fit) continue;
    if (gpu_failed++ == 0)
      std::printf("first GPU failure (response %zu): %s\n", k, on_gpu[k].message.c_str());
  }
  for (size_t k = 0; k < on_cpu.size(); ++k) {
    if (!on_cpu[k].fit) {
      ++cpu_failed;
      continue;
    }
    if (!on_gpu[k].fit) continue;
    const FitResult& g = *on_gpu[k].fit;
    const FitResult& c = *on_cpu[k].fit;
    ++compared;
    max_dloglik = std::max(max_dloglik, std::abs(g.loglik - c.loglik));
    for (size_t i = 0; i < c.fixed_effects.size(); ++i) {
      const double e = c.fixed_effects[i].estimate;
      max_dbeta = std::max(max_dbeta, std::abs(g.fixed_effects[i].estimate - e) /
                                          (std::abs(e) + std::sqrt(c.residual.value)));
    }
  }
  std::printf("gpu (lock-step)  %9.3f s  %9.1f us/response  failed %d of %d\n", gpu_seconds,
              1e6 * gpu_seconds / a.responses, gpu_failed, a.responses);
  std::printf("                  %d groups, %lld launches, %lld evaluations (%.1f per launch)\n",
              stats.groups, static_cast<long long>(stats.rounds),
              static_cast<long long>(stats.evaluations),
              stats.rounds > 0 ? static_cast<double>(stats.evaluations) / stats.rounds : 0.0);
  std::printf("cpu (%2d cores)   %9.3f s  %9.1f us/response  failed %d of %d\n", cores, cpu_seconds,
              1e6 * cpu_seconds / a.cpu_responses, cpu_failed, a.cpu_responses);
  std::printf(
      "speedup per response %.2fx; over %d responses fitted by both: max |loglik_gpu - "
      "loglik_cpu| = %.3g, max |beta_gpu - beta_cpu| / (|beta| + sigma) = %.3g\n",
      (cpu_seconds / a.cpu_responses) / (gpu_seconds / a.responses), compared, max_dloglik,
      max_dbeta);
  return 0;
}

}  // namespace
}  // namespace lmm

#endif  // LMM_HAVE_CUDA

LMM_GPU_BENCH_MAIN("gpu_responses_bench")
