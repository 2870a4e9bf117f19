// GPU evaluation of the nested (one grouping factor) model y ~ x1 + x2 + x3 + (1 + z | g)
// (q = 2, p = 4) with 1e4 to 1e6 clusters (default; --clusters N adds sizes, --rows R sets rows per
// cluster, default 10), simulated in memory. Per size it prints, on one line:
//   kernel_us   the two launches of one evaluation (CUDA events, mean of many)
//   update_us   one whole Update(theta): Lambda down, launches, sums back, host finish (wall clock)
//   bytes       per-cluster cross-products read per evaluation ((3 + 10) doubles per cluster)
//   GB/s        bytes / kernel time, beside the device peak (2 x memory clock x bus width) and
//   bound_us    bytes / peak: the memory-bandwidth bound of one evaluation (DESIGN.md sec. 5)
//   cpu_us      the CPU evaluator's Update of the same model (all cores)
//   |dobj|      |objective_gpu - objective_cpu| (REML) at the same theta
// and, with --fit, the wall time of a whole GPU REML fit of the largest size (cross-products built
// on the host and uploaded: the one-time pass is included).
//
// Then the multi-term evaluator (crossed terms; kernels/level_kernels.h + cuSOLVER potrf), one line
// per model with m (columns of the dense Schur complement S), update_us / cpu_us and |dobj|:
//   InstEval   y ~ service + (1|s) + (1|d) + (1|dept:service) (../shared/data/insteval.csv, 73421
//              rows; m = 1128 + 28 + 2 + 1); with --fit also a GPU and a CPU REML fit;
//   crossed    a simulated (1|user) + (1|item), y ~ x: --users U (default 100000), --items I
//              (default 5000), --ratings R (default 2000000) rows, users and items drawn
//              uniformly (--skew: a few users and items get most ratings, as in MovieLens).
//              ml-32m's shape: --users 200948 --items 84432 --ratings 32000000 --skew:
//              S is 84,434^2 doubles = 57 GB, A as much,
//              so it needs an H200; past the CPU's dense limit (m > 12000) the CPU columns and
//              the CPU fit are left out (no reference), and the update is timed twice.
// Then the one-time pass of a one-term model (q = 2, p = 4, rows in random cluster order, 10 rows
// per cluster on average), --pass-rows N (repeatable; default 1e6, 1e7 and 1e8 rows, each only
// where host memory holds the frame and the CPU's cross-products), one line per size:
//   chunk, chunks    rows per chunk (from the 256 MiB device budget) and their number
//   ctr_s            the centers on the host (long double column means, as the CPU pass; up to 8
//                    threads, one column each)
//   dev_s            the device pass (gpu_row_pass.h): staging (up to 8 threads), upload, sort,
//                    sums, [X y]'[X y]
//   Mrows/s, GB/s    rows and uploaded bytes per second of dev_s (the whole pass, not the bus)
//   up_s, bus_GB/s   device time of the uploads (CUDA events on the copy stream, summed) and
//                    uploaded bytes / up_s
//   kern_s           device time of the chunks' kernels (sort, gather, sums, [X y]'[X y]);
//                    up_s + kern_s > dev_s shows the copies overlapping the kernels
//   res_MiB, stg_MiB, pin_MiB  device memory kept (per-cluster sums), device chunk buffers and
//                    pinned host staging (both freed after the pass)
//   cpu_s            cpu::BuildCrossProducts of the same frame (one thread), and
//                    cpu_s / (ctr_s + dev_s)
//   |dxx|            largest |[X y]'[X y] (device) - (CPU)| / sqrt(a_ii a_jj)
// Prints one skip line and exits 0 when the build has no CUDA backend or no device is usable.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../tests/likelihood/frame_loader.h"
#include "gpu_bench_util.h"
#include "likelihood/evaluator.h"
#include "likelihood/fit_core.h"
#include "likelihood/gpu/gpu_probe.h"

#if LMM_HAVE_CUDA

#include "cluster_kernels.h"
#include "device_query.h"
#include "likelihood/cpu/thread_pool.h"
#include "likelihood/gpu/device_buffer.h"
#include "likelihood/gpu/gpu_context.h"
#include "likelihood/gpu/gpu_evaluator.h"
#include "likelihood/gpu/gpu_row_pass.h"

namespace lmm {
namespace {

using bench::Clock;
using bench::MeanMicros;
using bench::Seconds;

ModelFrame NestedFrame(int64_t clusters, int rows) {
  std::mt19937_64 rng(2024);
  std::normal_distribution<double> normal;
  const int64_t n = clusters * rows;
  ModelFrame f;
  f.formula = "y ~ x1 + x2 + x3 + (1 + z | g)";
  f.y.resize(n);
  f.x.resize(n, 4);
  f.fixed_names = {"(Intercept)", "x1", "x2", "x3"};
  RandomEffectTerm t;
  t.group = t.grouping_factor = "g";
  t.names = {"(Intercept)", "z"};
  t.levels = clusters;
  t.z.resize(n, 2);
  t.level.reserve(n);
  for (int64_t c = 0, i = 0; c < clusters; ++c) {
    const double b0 = normal(rng), b1 = 0.5 * normal(rng);
    for (int r = 0; r < rows; ++r, ++i) {
      const double z = normal(rng);
      f.x(i, 0) = 1.0;
      for (int j = 1; j < 4; ++j) f.x(i, j) = normal(rng);
      t.z(i, 0) = 1.0;
      t.z(i, 1) = z;
      t.level.push_back(static_cast<int32_t>(c));
      f.y(i) = 1 + f.x(i, 1) - f.x(i, 2) + 0.5 * f.x(i, 3) + b0 + b1 * z + normal(rng);
    }
  }
  f.random.push_back(std::move(t));
  f.rows_read = f.rows_used = n;
  return f;
}

// Mean time of the two launches of one evaluation, from CUDA events over `reps` evaluations.
double KernelMicroseconds(const gpu::HostClusters& h, const std::vector<double>& lambda, int reps) {
  std::unique_ptr<gpu::GpuContext> ctx;
  if (!gpu::GpuContext::Create(&ctx).ok()) return NAN;
  const cudaStream_t stream = ctx->stream();
  const int entries = kernels::ReducedEntries(h.w);
  const kernels::ClusterPassShape shape = kernels::ShapeClusterPass(h.clusters);
  gpu::DeviceBuffer<double> d_d, d_panel, d_lambda, d_partials, d_result;
  gpu::DeviceBuffer<long long> d_block_failed, d_failed;
  // Every element of a braced list is evaluated before the loop looks at one: the copies go in a
  // second list, reached only when every allocation succeeded.
  for (const Status& s :
       {d_d.Allocate(h.d.size()), d_panel.Allocate(h.panel.size()),
        d_lambda.Allocate(lambda.size()),
        d_partials.Allocate(static_cast<size_t>(entries) * shape.blocks),
        d_block_failed.Allocate(shape.blocks), d_result.Allocate(entries), d_failed.Allocate(1)})
    if (!s.ok()) return NAN;
  for (const Status& s : {d_d.CopyFromHost(h.d.data(), h.d.size(), stream),
                          d_panel.CopyFromHost(h.panel.data(), h.panel.size(), stream),
                          d_lambda.CopyFromHost(lambda.data(), lambda.size(), stream)})
    if (!s.ok()) return NAN;
  kernels::ClusterPassArgs args;
  args.view = {h.clusters, h.q, h.w, d_d.get(), d_panel.get()};
  args.count = h.clusters;
  args.d_lambda = d_lambda.get();
  args.d_partials = d_partials.get();
  args.d_block_failed = d_block_failed.get();
  args.d_result = d_result.get();
  args.d_failed = d_failed.get();
  // Any failed call (launch, event) makes the figure NaN rather than the time of nothing.
  bool ok = true;
  const auto check = [&ok](cudaError_t e) { ok = ok && e == cudaSuccess; };
  for (int i = 0; i < 3; ++i) check(kernels::LaunchClusterPass(args, stream, false));  // warm-up
  cudaEvent_t start = nullptr, stop = nullptr;
  check(cudaEventCreate(&start));
  check(cudaEventCreate(&stop));
  float ms = 0;
  if (ok) {
    check(cudaEventRecord(start, stream));
    for (int i = 0; i < reps; ++i) check(kernels::LaunchClusterPass(args, stream, false));
    check(cudaEventRecord(stop, stream));
    check(cudaEventSynchronize(stop));
    if (ok) check(cudaEventElapsedTime(&ms, start, stop));
  }
  if (start != nullptr) cudaEventDestroy(start);
  if (stop != nullptr) cudaEventDestroy(stop);
  return ok ? 1e3 * ms / reps : NAN;
}

// y ~ x + (1 | user) + (1 | item) (partially crossed). Users and items uniform, or with --skew
// drawn as floor(N u^3) for u uniform on [0, 1): level k's share falls off as k^(-2/3), so a few
// users and items have most ratings, as in MovieLens (the scatter's work, sum over users of their
// ratings squared, grows accordingly).
ModelFrame CrossedFrame(int64_t users, int64_t items, int64_t ratings, bool skew) {
  std::mt19937_64 rng(32);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto pick = [&](int64_t levels) {
    const double u = unit(rng);
    const double at = skew ? u * u * u : u;
    return std::min(levels - 1, static_cast<int64_t>(at * static_cast<double>(levels)));
  };
  ModelFrame f;
  f.formula = "y ~ x + (1 | user) + (1 | item)";
  f.y.resize(ratings);
  f.x.resize(ratings, 2);
  f.fixed_names = {"(Intercept)", "x"};
  const std::pair<const char*, int64_t> terms[] = {{"user", users}, {"item", items}};
  for (const auto& [name, levels] : terms) {
    RandomEffectTerm t;
    t.group = t.grouping_factor = name;
    t.names = {"(Intercept)"};
    t.levels = levels;
    t.level_labels.resize(levels);
    t.level.resize(ratings);
    t.z = Eigen::MatrixXd::Ones(ratings, 1);
    f.random.push_back(std::move(t));
  }
  std::vector<double> effect_u(users), effect_i(items);
  for (double& e : effect_u) e = 0.7 * normal(rng);
  for (double& e : effect_i) e = 0.4 * normal(rng);
  for (int64_t i = 0; i < ratings; ++i) {
    const int64_t u = pick(users), it = pick(items);
    f.random[0].level[i] = static_cast<int32_t>(u);
    f.random[1].level[i] = static_cast<int32_t>(it);
    f.x(i, 0) = 1.0;
    f.x(i, 1) = normal(rng);
    f.y(i) = 3.5 + 0.2 * f.x(i, 1) + effect_u[u] + effect_i[it] + normal(rng);
  }
  f.rows_read = f.rows_used = ratings;
  return f;
}

// One line for a multi-term model: GPU and CPU Update times at lme4's start, |dobj|, and with
// `fit` the two REML fits.
void MultiTermLine(const char* name, const ModelFrame& frame, bool fit) {
  // The probe checks the model and the device memory it needs before the evaluator builds its
  // cross-products (57 GB of host memory and minutes at the ml-32m shape).
  const GpuProbe probe = ProbeGpuBackend(frame);
  if (!probe.usable) {
    std::printf("%-10s skipped: %s\n", name, probe.reason.c_str());
    return;
  }
  EvaluatorOptions gopt;
  gopt.backend = Backend::kGpu;
  Status status;
  const auto t0 = Clock::now();
  std::unique_ptr<Evaluator> gpu = Evaluator::Create(frame, gopt, &status);
  const double setup_s = Seconds(t0);
  if (gpu == nullptr) {
    std::printf("%-10s skipped: %s\n", name, status.ToString().c_str());
    return;
  }
  const int64_t m = DenseRestSize(frame);
  const bool cpu_too = m <= cpu::kMaxDenseRest;  // else the CPU evaluator refuses the model
  const std::unique_ptr<Evaluator> cpu =
      cpu_too ? Evaluator::Create(frame, EvaluatorOptions{}) : nullptr;
  const std::vector<double> theta = gpu->layout().start();
  const Status first = gpu->Update(theta);
  if (!first.ok()) {
    std::printf("%-10s failed: %s\n", name, first.ToString().c_str());
    return;
  }
  const double update_us = MeanMicros(cpu_too ? 20 : 2, [&](int) { (void)gpu->Update(theta); });
  double cpu_us = std::nan(""), dobj = std::nan("");
  if (cpu_too) {
    cpu_us = MeanMicros(5, [&](int) { (void)cpu->Update(theta); });
    (void)gpu->Update(theta);
    (void)cpu->Update(theta);
    dobj = std::abs(gpu->Objective(true) - cpu->Objective(true));
  }
  std::printf("%-10s %10lld %8lld %9.2f %11.0f %11.0f %10.2e\n", name,
              static_cast<long long>(frame.n()), static_cast<long long>(m), setup_s, update_us,
              cpu_us, dobj);
  if (fit && cpu_too) {
    FitCoreOptions options;
    options.backend = Backend::kGpu;
    const FitCoreResult g = FitCore(frame, options);
    options.backend = Backend::kCpu;
    const FitCoreResult c = FitCore(frame, options);
    std::printf(
        "%-10s REML fit: GPU %.3f s (%d evaluations), CPU %.3f s; objectives %.12g / %.12g\n", name,
        g.seconds, g.optimizer.evaluations, c.seconds, g.objective, c.objective);
  }
  std::fflush(stdout);
}

// y ~ x1 + x2 + x3 + (1 + z | g) with `rows` rows in random cluster order (uniform clusters);
// values from a cheap generator (their distribution does not matter to the pass's speed).
ModelFrame PassFrame(int64_t rows, int64_t clusters) {
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  auto uniform = [&] { return static_cast<double>(next() >> 11) * 0x1.0p-52 - 1.0; };
  ModelFrame f;
  f.formula = "y ~ x1 + x2 + x3 + (1 + z | g)";
  f.y.resize(rows);
  f.x.resize(rows, 4);
  f.fixed_names = {"(Intercept)", "x1", "x2", "x3"};
  RandomEffectTerm t;
  t.group = t.grouping_factor = "g";
  t.names = {"(Intercept)", "z"};
  t.levels = clusters;
  t.z.resize(rows, 2);
  t.level.resize(rows);
  f.x.col(0).setOnes();
  t.z.col(0).setOnes();
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t c = static_cast<int64_t>(next() % static_cast<uint64_t>(clusters));
    t.level[i] = static_cast<int32_t>(c);
    for (int j = 1; j < 4; ++j) f.x(i, j) = uniform();
    t.z(i, 1) = uniform();
    f.y(i) = f.x(i, 1) + 0.01 * static_cast<double>(c % 97) + uniform();
  }
  f.random.push_back(std::move(t));
  f.rows_read = f.rows_used = rows;
  return f;
}

void RowPassSection(std::vector<int64_t> sizes) {
  if (sizes.empty()) sizes = {1000000, 10000000, 100000000};
  std::sort(sizes.begin(), sizes.end());
  const double host_bytes =
      static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  std::printf("\none-time pass, y ~ x1 + x2 + x3 + (1 + z | g), rows in random cluster order\n");
  std::printf("%11s %9s %9s %6s %7s %8s %8s %7s %7s %8s %7s %8s %8s %8s %8s %7s %9s\n", "rows",
              "clusters", "chunk", "chunks", "ctr_s", "dev_s", "Mrows/s", "GB/s", "up_s",
              "bus_GB/s", "kern_s", "res_MiB", "stg_MiB", "pin_MiB", "cpu_s", "cpu/dev", "|dxx|");
  for (const int64_t rows : sizes) {
    const int64_t clusters = std::max<int64_t>(rows / 10, 1);
    // The frame (60 bytes a row), the CPU's cross-products (~200 bytes a cluster) and slack.
    const double need = 2.0 * (60.0 * rows + 200.0 * clusters);
    if (need > 0.8 * host_bytes) {
      std::printf("%11lld skipped: needs about %.0f GB of host memory, %.0f GB installed\n",
                  static_cast<long long>(rows), need / 1e9, host_bytes / 1e9);
      continue;
    }
    const ModelFrame frame = PassFrame(rows, clusters);
    std::unique_ptr<gpu::GpuContext> ctx;
    if (!gpu::GpuContext::Create(&ctx).ok()) return;
    cpu::ThreadPool pool(std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, 8));
    const auto c0 = Clock::now();
    const cpu::CenteringInfo cen = gpu::RowPassCentering(frame, &pool);
    const double ctr_s = Seconds(c0);
    gpu::RowPassOptions options;
    options.where = gpu::RowPassWhere::kDevice;
    gpu::DeviceRowPassOutput out;
    Status s = Status::Ok();
    for (int rep = 0; rep < 2 && s.ok(); ++rep)  // the first run warms up the runtime and pages
      s = gpu::RunDeviceRowPass(frame, cen, options, ctx->stream(), false, &pool, &out);
    if (!s.ok()) {
      std::printf("%11lld failed: %s\n", static_cast<long long>(rows), s.ToString().c_str());
      continue;
    }
    const gpu::RowPassStats& st = out.stats;
    const auto t0 = Clock::now();
    const cpu::CrossProducts cp = cpu::BuildCrossProducts(frame, ThetaLayout(frame));
    const double cpu_s = Seconds(t0);
    double dxx = 0;
    for (int i = 0; i < 5; ++i)
      for (int j = 0; j <= i; ++j)
        dxx = std::max(dxx, std::abs(out.xx[kernels::PackedIndex(i, j)] - cp.a(i, j)) /
                                std::sqrt(cp.a(i, i) * cp.a(j, j)));
    std::printf(
        "%11lld %9lld %9lld %6lld %7.3f %8.3f %8.1f %7.2f %7.3f %8.2f %7.3f %8.1f %8.1f %8.1f "
        "%8.3f "
        "%7.1f %9.2e\n",
        static_cast<long long>(rows), static_cast<long long>(clusters),
        static_cast<long long>(st.chunk_rows), static_cast<long long>(st.chunks), ctr_s, st.seconds,
        rows / st.seconds / 1e6, st.upload_bytes / st.seconds / 1e9, st.upload_seconds,
        st.upload_bytes / st.upload_seconds / 1e9, st.kernel_seconds, st.resident_bytes / 1048576.0,
        st.staging_device_bytes / 1048576.0, st.pinned_host_bytes / 1048576.0, cpu_s,
        cpu_s / (ctr_s + st.seconds), dxx);
    std::fflush(stdout);
  }
}

int Main(int argc, char** argv) {
  std::vector<int64_t> sizes = {10000, 100000, 1000000};
  int rows = 10;
  bool fit = false;
  int64_t users = 100000, items = 5000, ratings = 2000000;
  bool skew = false;
  std::vector<int64_t> pass_rows;
  bool usage = false;
  for (int i = 1; i < argc && !usage; ++i) {
    const bool has_value = i + 1 < argc;
    if (std::strcmp(argv[i], "--clusters") == 0 && has_value) {
      sizes.push_back(bench::Count(argv[++i]));
      usage = sizes.back() == 0;
    } else if (std::strcmp(argv[i], "--rows") == 0 && has_value) {
      rows = static_cast<int>(bench::Count(argv[++i]));
      usage = rows == 0;
    } else if (std::strcmp(argv[i], "--fit") == 0) {
      fit = true;
    } else if (std::strcmp(argv[i], "--users") == 0 && has_value) {
      usage = (users = bench::Count(argv[++i])) == 0;
    } else if (std::strcmp(argv[i], "--items") == 0 && has_value) {
      usage = (items = bench::Count(argv[++i])) == 0;
    } else if (std::strcmp(argv[i], "--ratings") == 0 && has_value) {
      usage = (ratings = bench::Count(argv[++i])) == 0;
    } else if (std::strcmp(argv[i], "--skew") == 0) {
      skew = true;
    } else if (std::strcmp(argv[i], "--pass-rows") == 0 && has_value) {
      pass_rows.push_back(bench::Count(argv[++i]));
      usage = pass_rows.back() == 0;
    } else {
      usage = true;
    }
    if (usage) {
      std::printf(
          "usage: %s [--clusters N]... [--rows R] [--fit] [--users U] [--items I] "
          "[--ratings R] [--skew] [--pass-rows N]... (counts: whole numbers from 1 to "
          "2^31 - 1)\n",
          argv[0]);
      return 2;
    }
  }
  std::sort(sizes.begin(), sizes.end());
  const kernels::CudaRuntimeInfo info = kernels::QueryCudaDevices();
  if (info.devices.empty())
    return bench::Skip("gpu_bench",
                       "no CUDA device (" + (info.error.empty() ? "none found" : info.error) + ")");
  const kernels::DeviceInfo& dev = info.devices[0];
  const double peak = dev.peak_bandwidth_bytes_per_s;
  std::printf("device: %s (sm_%d%d), peak DRAM bandwidth %.0f GB/s; driver %d, runtime %d\n",
              dev.name.c_str(), dev.major, dev.minor, peak / 1e9, info.driver_version,
              info.runtime_version);
  std::printf("model: y ~ x1 + x2 + x3 + (1 + z | g), q = 2, p = 4, %d rows per cluster\n", rows);
  std::printf("%10s %11s %10s %10s %11s %8s %9s %7s %10s %10s %10s\n", "clusters", "rows",
              "kernel_us", "update_us", "bytes", "GB/s", "bound_us", "%bound", "cpu_us",
              "cpu_threads", "|dobj|");
  for (const int64_t clusters : sizes) {
    const ModelFrame frame = NestedFrame(clusters, rows);
    EvaluatorOptions gopt;
    gopt.backend = Backend::kGpu;
    Status status;
    std::unique_ptr<Evaluator> gpu = Evaluator::Create(frame, gopt, &status);
    if (gpu == nullptr) return bench::Skip("gpu_bench", status.ToString());
    const std::unique_ptr<Evaluator> cpu = Evaluator::Create(frame, EvaluatorOptions{});
    const std::vector<double> theta = {0.9, 0.1, 0.4};
    std::vector<double> lambda(4);
    gpu->layout().term(0).FillLambda(theta, lambda.data());
    const gpu::HostClusters& h = static_cast<const GpuEvaluator&>(*gpu).clusters();
    const int reps = clusters >= 1000000 ? 200 : 1000;
    const double kernel_us = KernelMicroseconds(h, lambda, reps);
    const double update_us = MeanMicros(reps, [&](int) { (void)gpu->Update(theta); });
    const double cpu_us =
        MeanMicros(clusters >= 1000000 ? 5 : 20, [&](int) { (void)cpu->Update(theta); });
    (void)gpu->Update(theta);
    (void)cpu->Update(theta);
    const double dobj = std::abs(gpu->Objective(true) - cpu->Objective(true));
    const double bytes = static_cast<double>(clusters) * (kernels::PackedSize(2) + 5 * 2) * 8;
    const double gbs = bytes / (kernel_us * 1e-6) / 1e9;
    const double bound_us = peak > 0 ? bytes / peak * 1e6 : NAN;
    std::printf("%10lld %11lld %10.1f %10.1f %11.0f %8.0f %9.1f %6.0f%% %10.0f %10d %10.2e\n",
                static_cast<long long>(clusters), static_cast<long long>(frame.n()), kernel_us,
                update_us, bytes, gbs, bound_us, 100 * bound_us / kernel_us, cpu_us,
                static_cast<int>(std::thread::hardware_concurrency()), dobj);
    std::fflush(stdout);
  }
  if (fit) {
    const ModelFrame frame = NestedFrame(sizes.back(), rows);
    FitCoreOptions options;
    options.backend = Backend::kGpu;
    const auto t0 = Clock::now();
    const FitCoreResult r = FitCore(frame, options);
    const double s = Seconds(t0);
    std::printf(
        "GPU REML fit, %lld clusters: %.3f s (FitCore's own %.3f s), %d evaluations, "
        "objective %.10g\n",
        static_cast<long long>(sizes.back()), s, r.seconds, r.optimizer.evaluations, r.objective);
  }

  std::printf("\nmulti-term evaluator (theta = lme4's start; setup_s: cross-products + upload)\n");
  std::printf("%-10s %10s %8s %9s %11s %11s %10s\n", "model", "rows", "m", "setup_s", "update_us",
              "cpu_us", "|dobj|");
  try {
    MultiTermLine("InstEval",
                  test::LoadFrame(LMM_SHARED_DIR, "insteval",
                                  "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)"),
                  fit);
  } catch (const std::exception& e) {
    std::printf("InstEval   skipped: %s\n", e.what());
  }
  MultiTermLine("crossed", CrossedFrame(users, items, ratings, skew), fit);
  const double ml32m_m = 84432 + 3;
  std::printf("ml-32m shape (--users 200948 --items 84432 --ratings 32000000 --skew): A and S need "
              "%.1f GB of device memory\n",
              2 * ml32m_m * ml32m_m * 8 / 1e9);
  RowPassSection(pass_rows);
  return 0;
}

}  // namespace
}  // namespace lmm

#endif  // LMM_HAVE_CUDA

LMM_GPU_BENCH_MAIN("gpu_bench")
