// Kenward-Roger on the GPU against the CPU for the nested model of ddf_bench.cc:
// y ~ x1 + (1 + x1 | g), 1,000,000 rows in 100,000 clusters (--rows N, --clusters C), simulated
// by SimulateCsv and read by the real loader (--covariates K: x1 .. xK in the fixed part), REML
// fit once (untimed, GPU backend). Prints:
//   pieces   ComputeVariancePieces (CPU row engine, all cores) against ComputeVariancePiecesOnGpu
//            (host cross-products + upload + kernels/variance_kernels.h), best of --repeats;
//   KR       the whole ApplySmallSampleInference (pieces, adjusted covariance, per-coefficient df
//            and the F tests) with fit->backend "cpu" and "gpu", best of --repeats;
// and the largest relative differences of the df, the SEs and the tests' denominator df.
// Prints one skip line and exits 0 when the build has no CUDA backend or no device is usable.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>

#include "gpu_bench_util.h"
#include "inference/ddf/cluster_partition.h"
#include "inference/ddf/small_sample.h"
#include "inference/ddf/variance_pieces.h"
#include "likelihood/fit_core.h"
#include "likelihood/gpu/gpu_probe.h"
#include "lmm/load.h"
#include "lmm/simulate.h"
#include "model/theta_layout.h"

#if LMM_HAVE_CUDA

#include <cuda_runtime_api.h>

namespace lmm {
namespace {

template <typename F>
double BestSeconds(int repeats, F&& f) {
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = bench::Clock::now();
    f();
    best = std::min(best, bench::Seconds(t0));
  }
  return best;
}

double RelDiff(double a, double b) {
  if (a == b) return 0;
  return std::abs(a - b) / std::max(std::abs(b), 1e-300);
}

int Main(int argc, char** argv) {
  int64_t rows = 1000000, clusters = 100000;
  int repeats = 3, covariates = 1;
  for (int i = 1; i < argc; i += 2) {
    const int64_t value = i + 1 < argc ? bench::Count(argv[i + 1]) : 0;
    if (value > 0 && std::strcmp(argv[i], "--rows") == 0) {
      rows = value;
    } else if (value > 0 && std::strcmp(argv[i], "--clusters") == 0) {
      clusters = value;
    } else if (value > 0 && std::strcmp(argv[i], "--repeats") == 0) {
      repeats = static_cast<int>(value);
    } else if (value > 0 && value <= 30 && std::strcmp(argv[i], "--covariates") == 0) {
      covariates = static_cast<int>(value);
    } else {
      std::printf(
          "usage: %s [--rows N] [--clusters C] [--repeats R] [--covariates K] (whole numbers "
          "from 1; K up to 30)\n",
          argv[0]);
      return 2;
    }
  }
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    return bench::Skip("gpu_ddf_bench", "no CUDA device");
  }
  SimulationOptions sim;
  sim.rows = rows;
  sim.clusters = clusters;
  sim.covariates = covariates;
  const std::string path =
      (std::filesystem::temp_directory_path() / "lmm_gpu_ddf_bench.csv").string();
  SimulateCsv(sim, path);
  LoadOptions load;
  load.data_path = path;
  load.formula = "y ~ x1";
  for (int k = 2; k <= covariates; ++k) load.formula += " + x" + std::to_string(k);
  load.formula += " + (1 + x1 | g)";
  const ModelFrame frame = LoadModel(load).frame;
  std::filesystem::remove(path);

  const GpuProbe probe = ProbeGpuBackend(frame);
  if (!probe.usable) {
    return bench::Skip("gpu_ddf_bench", probe.reason);
  }
  FitCoreOptions fit_options;
  fit_options.backend = Backend::kGpu;
  const FitCoreResult core = FitCore(frame, fit_options);
  const ThetaLayout layout(frame);
  const inference::ddf::ClusterPartition part = inference::ddf::PartitionClusters(frame);
  std::printf("%s, %lld rows, %lld clusters, device %s\n", load.formula.c_str(),
              static_cast<long long>(frame.n()), static_cast<long long>(part.clusters),
              probe.device.c_str());

  inference::ddf::VariancePieces cpu_pieces, gpu_pieces;
  std::string reason;
  bool gpu_ok = true;
  const double cpu_pieces_s = BestSeconds(repeats, [&] {
    cpu_pieces = inference::ddf::ComputeVariancePieces(frame, part, layout, core.theta, core.sigma2,
                                                       core.beta);
  });
  const double gpu_pieces_s = BestSeconds(repeats, [&] {
    gpu_ok = gpu_ok &&
             inference::ddf::ComputeVariancePiecesOnGpu(
                 frame, part, layout, core.theta, core.sigma2, core.beta, 0, &gpu_pieces, &reason);
  });
  if (!gpu_ok) {
    std::printf("gpu_ddf_bench: the GPU pass failed: %s\n", reason.c_str());
    return 1;
  }
  std::printf("pieces  cpu %9.3f s   gpu %9.3f s   speedup %6.1fx   |dI_E|/|I_E| %.2e\n",
              cpu_pieces_s, gpu_pieces_s, cpu_pieces_s / gpu_pieces_s,
              (gpu_pieces.expected_information - cpu_pieces.expected_information).norm() /
                  cpu_pieces.expected_information.norm());

  auto apply = [&](const std::string& backend) {
    FitResult fit;
    fit.backend = backend;
    for (int j = 0; j < frame.p(); ++j) {
      FixedEffect fe;
      fe.term = frame.fixed_names[j];
      fe.estimate = core.beta(j);
      fit.fixed_effects.push_back(fe);
    }
    const inference::ddf::FittedModel model{
        frame, layout, core.theta, core.sigma2, core.beta, core.beta_covariance, true};
    inference::ddf::SmallSampleOptions options;
    options.method = DdfMethod::kKenwardRoger;
    inference::ddf::ApplySmallSampleInference(model, options, &fit);
    return fit;
  };
  FitResult cpu_fit, gpu_fit;
  const double cpu_kr_s = BestSeconds(repeats, [&] { cpu_fit = apply("cpu"); });
  const double gpu_kr_s = BestSeconds(repeats, [&] { gpu_fit = apply("gpu"); });
  double df_diff = 0, se_diff = 0, dendf_diff = 0;
  for (size_t j = 0; j < cpu_fit.fixed_effects.size(); ++j) {
    df_diff = std::max(df_diff, RelDiff(gpu_fit.fixed_effects[j].df, cpu_fit.fixed_effects[j].df));
    se_diff = std::max(
        se_diff, RelDiff(gpu_fit.fixed_effects[j].std_error, cpu_fit.fixed_effects[j].std_error));
  }
  for (size_t t = 0; t < cpu_fit.tests.size(); ++t)
    dendf_diff = std::max(dendf_diff, RelDiff(gpu_fit.tests[t].dendf, cpu_fit.tests[t].dendf));
  std::printf("KR      cpu %9.3f s   gpu %9.3f s   speedup %6.1fx\n", cpu_kr_s, gpu_kr_s,
              cpu_kr_s / gpu_kr_s);
  std::printf("max relative difference: df %.2e   SE %.2e   tests' dendf %.2e\n", df_diff, se_diff,
              dendf_diff);
  for (size_t j = 0; j < cpu_fit.fixed_effects.size(); ++j)
    std::printf("  %-12s df cpu %.10g gpu %.10g\n", cpu_fit.fixed_effects[j].term.c_str(),
                cpu_fit.fixed_effects[j].df, gpu_fit.fixed_effects[j].df);
  return 0;
}

}  // namespace
}  // namespace lmm

#endif  // LMM_HAVE_CUDA

LMM_GPU_BENCH_MAIN("gpu_ddf_bench")
