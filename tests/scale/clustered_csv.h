// Small clustered data sets for the streaming and MPI tests: rows in random cluster order
// (unsorted), a categorical fixed factor, missing cells, optionally an aliased column.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace lmm::testing {

struct ClusteredCsvOptions {
  int64_t rows = 3000;
  int clusters = 60;
  bool numeric_groups = false;  // g as numbers (levels ordered numerically) or text "s<k>"
  double missing_rate = 0.02;   // per cell of x2, f, y
  bool aliased_column = false;  // x3 = 2 x1 - x2
  uint64_t seed = 7;
};

// Columns y, x1, x2, f, g[, x3]: y = 1 + 0.5 x1 - 0.3 x2 + effect(f) + u0_g + u1_g x1 + e, with
// u0 ~ N(0, 1), u1 ~ N(0, 0.25), e ~ N(0, 1), each row's cluster drawn uniformly.
inline std::string ClusteredCsv(const ClusteredCsvOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int> cluster(0, o.clusters - 1);
  std::vector<double> u0(o.clusters), u1(o.clusters);
  for (int c = 0; c < o.clusters; ++c) {
    u0[c] = normal(rng);
    u1[c] = 0.5 * normal(rng);
  }
  const char* levels[] = {"lo", "mid", "hi"};
  const double effect[] = {0.0, 0.4, -0.7};
  std::string out = o.aliased_column ? "y,x1,x2,f,g,x3\n" : "y,x1,x2,f,g\n";
  for (int64_t i = 0; i < o.rows; ++i) {
    const int c = cluster(rng);
    const int f = static_cast<int>(unit(rng) * 3) % 3;
    const double x1 = normal(rng), x2 = normal(rng);
    const double y = 1 + 0.5 * x1 - 0.3 * x2 + effect[f] + u0[c] + u1[c] * x1 + normal(rng);
    auto cell = [&](const std::string& text) { return unit(rng) < o.missing_rate ? "NA" : text; };
    out += cell(fmt::format("{:.17g}", y)) + fmt::format(",{:.17g},", x1) +
           cell(fmt::format("{:.17g}", x2)) + "," + cell(levels[f]) + "," +
           (o.numeric_groups ? fmt::format("{}", 100 + 7 * c) : fmt::format("s{}", c));
    if (o.aliased_column) out += fmt::format(",{:.17g}", 2 * x1 - x2);
    out += "\n";
  }
  return out;
}

}  // namespace lmm::testing
