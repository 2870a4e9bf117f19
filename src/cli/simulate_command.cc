// `lmmgpu simulate`: synthetic clustered data for tests and benchmarks.
#include <memory>

#include "cli/commands.h"
#include "lmm/simulate.h"

namespace lmm::cli {

Runner AddSimulateCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "simulate",
      "Write synthetic clustered data (CSV with y, x1..xp, g[, h]) from a random intercept and "
      "slopes model: y = 1 + sum beta_j x_j + u_g0 + sum_{j<=k} u_gj x_j [+ v_h] + e, "
      "beta_j = (-1)^(j+1) 0.5 j.");
  auto o = std::make_shared<SimulationOptions>();
  auto output = std::make_shared<std::string>();
  auto sizes = std::make_shared<std::string>("equal");
  command->add_option("--output", *output, "CSV file to write (atomically)")->required();
  command->add_option("--rows", o->rows, "number of rows")->capture_default_str();
  command->add_option("--clusters", o->clusters, "levels of the grouping factor g")
      ->capture_default_str();
  command->add_option("--cluster-sizes", *sizes,
                      "equal (rows split evenly, in order) or random (each row picks a cluster)")
      ->check(CLI::IsMember({"equal", "random"}))
      ->capture_default_str();
  command->add_option("--covariates", o->covariates, "number of covariates x1..xp")
      ->capture_default_str();
  command->add_option("--slopes", o->random_slopes, "random slopes on x1..xk")->capture_default_str();
  command->add_option("--crossed", o->crossed_levels,
                      "levels of a crossed factor h with a random intercept (0: none)")
      ->capture_default_str();
  command->add_option("--sd-intercept", o->sd_intercept)->capture_default_str();
  command->add_option("--sd-slope", o->sd_slope)->capture_default_str();
  command->add_option("--correlation", o->correlation, "between g's intercept and each slope")
      ->capture_default_str();
  command->add_option("--sd-crossed", o->sd_crossed)->capture_default_str();
  command->add_option("--sd-residual", o->sd_residual)->capture_default_str();
  command->add_option("--seed", o->seed, "random seed (same seed, same file)")->capture_default_str();
  return [command, o, output, sizes]() {
    if (!command->parsed()) return -1;
    o->equal_cluster_sizes = *sizes == "equal";
    SimulateCsv(*o, *output);
    return 0;
  };
}

}  // namespace lmm::cli
