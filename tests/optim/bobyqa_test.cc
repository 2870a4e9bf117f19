// The optimizer on plain functions with known minima: interior (a shifted, correlated quadratic
// and Rosenbrock) and on a bound; the finite-difference derivatives on a polynomial.
#include "optim/bobyqa.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "optim/finite_difference.h"

namespace lmm {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(BobyqaTest, QuadraticInteriorMinimum) {
  // f = (x-1)^2 + 10 (y+2)^2 + (x-1)(y+2): minimum 0 at (1, -2).
  const ObjectiveFunction f = [](std::span<const double> x) {
    const double a = x[0] - 1, b = x[1] + 2;
    return a * a + 10 * b * b + a * b + 3.0;
  };
  const OptimizerResult r = MinimizeBobyqa(f, {0, 0}, {-kInf, -kInf}, {kInf, kInf}, {});
  EXPECT_TRUE(r.converged) << r.status;
  EXPECT_NEAR(r.x[0], 1, 1e-7);
  EXPECT_NEAR(r.x[1], -2, 1e-7);
  EXPECT_NEAR(r.value, 3.0, 1e-12);
  EXPECT_GT(r.evaluations, 0);
}

TEST(BobyqaTest, Rosenbrock) {
  const ObjectiveFunction f = [](std::span<const double> x) {
    return 100 * std::pow(x[1] - x[0] * x[0], 2) + std::pow(1 - x[0], 2);
  };
  const OptimizerResult r = MinimizeBobyqa(f, {-1.2, 1}, {-5, -5}, {5, 5}, {});
  EXPECT_NEAR(r.x[0], 1, 1e-6);
  EXPECT_NEAR(r.x[1], 1, 1e-6);
}

TEST(BobyqaTest, MinimumOnLowerBound) {
  // Unconstrained minimum at x = -1; with x >= 0 the answer is the bound.
  const ObjectiveFunction f = [](std::span<const double> x) {
    return std::pow(x[0] + 1, 2) + std::pow(x[1] - 0.5, 2);
  };
  const OptimizerResult r = MinimizeBobyqa(f, {1, 1}, {0, 0}, {kInf, kInf}, {});
  EXPECT_EQ(r.x[0], 0.0);
  EXPECT_NEAR(r.x[1], 0.5, 1e-7);
}

TEST(FiniteDifferenceTest, CubicInteriorAndAtBound) {
  // f = x^3 + 2 x y + y^2: gradient (3x^2 + 2y, 2x + 2y), Hessian [[6x, 2], [2, 2]].
  const ObjectiveFunction f = [](std::span<const double> x) {
    return x[0] * x[0] * x[0] + 2 * x[0] * x[1] + x[1] * x[1];
  };
  const std::vector<double> x = {0.7, -0.3};
  const Derivatives d = FiniteDifferences(f, x, f(x), {-kInf, -kInf}, {kInf, kInf}, 1e-3);
  EXPECT_NEAR(d.gradient(0), 3 * 0.49 - 0.6, 1e-9);
  EXPECT_NEAR(d.gradient(1), 1.4 - 0.6, 1e-9);
  EXPECT_NEAR(d.hessian(0, 0), 4.2, 1e-6);
  EXPECT_NEAR(d.hessian(1, 0), 2, 1e-6);
  EXPECT_NEAR(d.hessian(1, 1), 2, 1e-6);
  // x at its lower bound: one-sided, second-order accurate.
  const std::vector<double> xb = {0.0, 0.5};
  const Derivatives db = FiniteDifferences(f, xb, f(xb), {0, -kInf}, {kInf, kInf}, 1e-4);
  EXPECT_TRUE(db.at_bound[0]);
  EXPECT_FALSE(db.at_bound[1]);
  EXPECT_NEAR(db.gradient(0), 1.0, 1e-6);
  EXPECT_NEAR(db.hessian(1, 0), 2, 1e-4);
}

}  // namespace
}  // namespace lmm
