// The supernodal factorization assembles S's pieces straight into its fronts (front_assembly.h):
// on random crossed designs of uneven shape (levels with one row, a first-term level that meets
// a single rest level, rest terms with one and two columns, first terms with q0 = 1 and 2), its
// objective, beta and R_X equal the dense factorization's of the explicitly formed S. Tolerance
// 1e-10 relative: the two differ only in the order of the additions (S has ~10^3 rows; a log
// determinant of that many pivots loses ~1e-13 to rounding), so an entry assembled into the
// wrong place or missed would show as an O(1) difference.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <functional>
#include <string>

#include <unistd.h>

#include "likelihood/cpu/cpu_evaluator.h"
#include "lmm/load.h"

namespace lmm {
namespace {

struct Design {
  int rows, g1, g2, g3;
  const char* formula;
  std::vector<double> theta;
};

// Skewed level frequencies (a few large levels, many with one or two rows) and a covariate.
std::string WriteCsv(const Design& d, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> z(0, 1);
  auto level = [&](int n) { return static_cast<int>(n * std::pow(u(rng), 2.0)); };
  // One name per process and case: CTest runs the cases as parallel processes.
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() /
      ("lmm_front_" + std::to_string(::getpid()) + "_" +
       std::to_string(std::hash<std::string>{}(d.formula)) + "_" + std::to_string(seed) + ".csv");
  std::ofstream out(path);
  out << "y,x,g1,g2,g3\n";
  for (int i = 0; i < d.rows; ++i) {
    const int a = level(d.g1), b = level(d.g2), c = level(d.g3);
    const double x = z(rng);
    out << 1 + 0.5 * x + 0.1 * (a % 7) - 0.2 * (b % 5) + 0.3 * (c % 3) + z(rng) << ',' << x
        << ",a" << a << ",b" << b << ",c" << c << '\n';
  }
  // Every g1 level once more with the same g2 and g3 level, so that clique is tiny.
  for (int a = 0; a < d.g1; ++a) out << z(rng) << ',' << z(rng) << ",a" << a << ",b0,c0\n";
  return path.string();
}

class FrontAssemblyTest : public ::testing::TestWithParam<Design> {};

TEST_P(FrontAssemblyTest, SupernodalEqualsDenseOnRandomCrossedDesigns) {
  const Design d = GetParam();
  for (unsigned seed : {1u, 2u}) {
    const std::string csv = WriteCsv(d, seed);
    const ModelFrame frame = LoadModel(LoadOptions{csv, d.formula, {}}).frame;
    std::filesystem::remove(csv);
    CpuEvaluator dense(frame, EvaluatorOptions{Backend::kCpu, 2, RestFactorization::kDense});
    CpuEvaluator sparse(frame, EvaluatorOptions{Backend::kCpu, 2, RestFactorization::kSupernodal});
    ASSERT_TRUE(sparse.supernodal());
    for (double scale : {0.3, 1.0, 3.0}) {
      std::vector<double> theta = d.theta;
      for (double& t : theta) t *= scale;
      ASSERT_TRUE(dense.Update(theta).ok());
      ASSERT_TRUE(sparse.Update(theta).ok());
      for (bool reml : {false, true})
        EXPECT_NEAR(sparse.Objective(reml), dense.Objective(reml),
                    1e-10 * std::abs(dense.Objective(reml)))
            << d.formula << " seed " << seed << " scale " << scale;
      EXPECT_TRUE(sparse.beta().isApprox(dense.beta(), 1e-10));
      EXPECT_TRUE(sparse.rx().isApprox(dense.rx(), 1e-10));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Random, FrontAssemblyTest,
    ::testing::Values(
        Design{3000, 600, 300, 12, "y ~ x + (1 | g1) + (1 | g2) + (1 | g3)", {0.8, 0.5, 0.3}},
        Design{3000, 600, 300, 12, "y ~ x + (1 | g1) + (1 + x | g2) + (1 | g3)",
               {0.8, 0.5, 0.1, 0.3, 0.3}},
        Design{3000, 400, 250, 12, "y ~ x + (1 + x | g1) + (1 | g2) + (1 | g3)",
               {0.8, 0.2, 0.4, 0.5, 0.3}}));

}  // namespace
}  // namespace lmm
