// Synthetic clustered data for tests and benchmarks (`lmmgpu simulate`).
#pragma once

#include <cstdint>
#include <string>

namespace lmm {

struct SimulationOptions {
  int64_t rows = 100000;
  int64_t clusters = 10000;      // levels of the grouping factor g
  bool equal_cluster_sizes = true;  // else each row picks its cluster uniformly at random
  int covariates = 4;            // x1..xp, standard normal
  int random_slopes = 1;         // random slopes on x1..xk (k <= covariates)
  int64_t crossed_levels = 0;    // > 0: a crossed factor h with its own random intercept
  double sd_intercept = 1.0;     // of g's random intercept
  double sd_slope = 0.5;         // of each random slope
  double correlation = 0.3;      // between g's intercept and each slope
  double sd_crossed = 0.5;       // of h's random intercept
  double sd_residual = 1.0;
  uint64_t seed = 1;
};

// Writes a CSV with columns y, x1..xp, g[, h]:
//   y = 1 + sum_j beta_j x_j + u_g0 + sum_{j<=k} u_gj x_j + v_h + e,  beta_j = (-1)^(j+1) * 0.5 j,
// (u_g) ~ N(0, Sigma) with the given SDs and correlation, v_h ~ N(0, sd_crossed^2),
// e ~ N(0, sd_residual^2). Same seed, same file. Written atomically; throws lmm::Error(kUsage)
// for inconsistent options.
void SimulateCsv(const SimulationOptions& options, const std::string& path);

}  // namespace lmm
