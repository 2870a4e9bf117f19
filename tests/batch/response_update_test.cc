// fit --responses' shared design: cross-products with the response replaced equal those built for
// the new response bit for bit (cpu::ReplaceResponse), they are shared for CPU fits, and hashes
// computed several at a time equal inference::ResponseHash.
#include "likelihood/cpu/response_update.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "batch/responses_fit.h"
#include "batch/responses_hash.h"
#include "inference/fit_summary.h"
#include "likelihood/cpu/cross_products.h"
#include "lmm/data_frame.h"
#include "lmm/error.h"
#include "lmm/fit.h"
#include "lmm/formula.h"
#include "lmm/model_frame.h"
#include "model/theta_layout.h"

namespace lmm {
namespace {

// Responses y1, y2 (y2 with another scale and mean) and ybig (values near 1e12 whose decimals a
// double does not hold: the frame subtracts an offset), covariates x1..x5, crossed factors g (40
// levels, unbalanced) and h (7 levels).
DataFrame TestData() {
  std::mt19937_64 rng(2024);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform(0, 10);
  std::string csv = "y1,y2,ybig,x1,x2,x3,x4,x5,g,h\n";
  for (int i = 0; i < 700; ++i) {
    const int g = (i * 7 + i / 3) % 40;
    const double y1 = 2 + normal(rng) + 0.1 * g;
    const double y2 = -300 + 40 * normal(rng);
    const double x1 = uniform(rng), x2 = uniform(rng), x3 = uniform(rng);
    const double x4 = normal(rng), x5 = uniform(rng);
    csv += fmt::format(
        "{:.6f},{:.6f},1000000000{:03d}.{:03d},{:.4f},{:.4f},{:.4f},{:.4f},{:.4f},g{},h{}\n", y1,
        y2, i % 997, (i * 37) % 1000, x1, x2, x3, x4, x5, g, i % 7);
  }
  CsvOptions options;
  options.threads = 1;
  return ParseCsv(csv, "test.csv", options);
}

ModelFrame Frame(const DataFrame& data, const std::string& response, const std::string& rhs) {
  return BuildModelFrame(ParseFormula(response + " " + rhs), data);
}

template <typename T>
bool SameBytes(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

bool SameBytes(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), static_cast<size_t>(a.size()) * sizeof(double)) == 0;
}

bool SameBytes(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), static_cast<size_t>(a.size()) * sizeof(double)) == 0;
}

// Every member of the cross-products, compared bit for bit.
void ExpectSameBits(const cpu::CrossProducts& got, const cpu::CrossProducts& want) {
  EXPECT_EQ(got.n, want.n);
  EXPECT_EQ(got.p, want.p);
  EXPECT_EQ(got.term0, want.term0);
  EXPECT_EQ(got.q0, want.q0);
  EXPECT_EQ(got.l0, want.l0);
  EXPECT_TRUE(SameBytes(got.d, want.d));
  EXPECT_TRUE(SameBytes(got.tile_off, want.tile_off));
  ASSERT_EQ(got.tiles.size(), want.tiles.size());
  for (size_t i = 0; i < got.tiles.size(); ++i) {
    EXPECT_EQ(got.tiles[i].block, want.tiles[i].block);
    EXPECT_EQ(got.tiles[i].base, want.tiles[i].base);
  }
  EXPECT_TRUE(SameBytes(got.panel_off, want.panel_off));
  EXPECT_TRUE(SameBytes(got.row_off, want.row_off));
  EXPECT_TRUE(SameBytes(got.row_index, want.row_index));
  EXPECT_TRUE(SameBytes(got.panel, want.panel)) << "panels";
  ASSERT_EQ(got.rest.size(), want.rest.size());
  for (size_t b = 0; b < got.rest.size(); ++b) {
    EXPECT_EQ(got.rest[b].term, want.rest[b].term);
    EXPECT_EQ(got.rest[b].offset, want.rest[b].offset);
  }
  EXPECT_EQ(got.mt, want.mt);
  EXPECT_EQ(got.m, want.m);
  EXPECT_TRUE(SameBytes(got.a, want.a)) << "A";
  EXPECT_EQ(got.centering.centered, want.centering.centered);
  EXPECT_TRUE(SameBytes(got.centering.x_shift, want.centering.x_shift));
  EXPECT_EQ(std::memcmp(&got.centering.y_shift, &want.centering.y_shift, sizeof(double)), 0)
      << got.centering.y_shift << " vs " << want.centering.y_shift;
  EXPECT_EQ(got.centering.intercept, want.centering.intercept);
}

// Bitwise, not within a tolerance: ReplaceResponse forms every y-dependent sum from the same
// terms, in the same order and floating-point types (double, long double for [X y]'[X y]) as
// BuildCrossProducts, and the build has no FMA contraction of these loops, so any difference is
// a bug (a missed piece, a stale value, another summation order).
TEST(ReplaceResponse, EqualsCrossProductsBuiltForTheNewResponse) {
  const DataFrame data = TestData();
  const std::vector<std::string> designs = {
      "~ x1 + (1 | g)",                                // q0 = 1, centered
      "~ x1 + (x1 | g)",                               // q0 = 2
      "~ x1 + x2 + (1 | g) + (1 | h)",                 // a rest block, q = 1
      "~ x1 + (x1 | g) + (x2 | h)",                    // a rest block, q = 2
      "~ 0 + x1 + x2 + (1 | g)",                       // no intercept: not centered
      "~ 1 + (x1 | g) + (1 | h)",                      // p = 1
      "~ 0 + (1 | g)",                                 // p = 0
      "~ x1 + x2 + x3 + (1 | g) + (1 | g:h)",          // p = 4, nested rest
      "~ x1 + x2 + x3 + x4 + x5 + (1 | g) + (1 | h)",  // p = 6: the generic path
  };
  for (const std::string& rhs : designs) {
    SCOPED_TRACE(rhs);
    const ModelFrame base = Frame(data, "y1", rhs);
    const cpu::CrossProducts shared = cpu::BuildCrossProducts(base, ThetaLayout(base));
    for (const char* response : {"y2", "ybig", "y1"}) {
      SCOPED_TRACE(response);
      const ModelFrame frame = Frame(data, response, rhs);
      const cpu::CrossProducts want = cpu::BuildCrossProducts(frame, ThetaLayout(frame));
      cpu::CrossProducts got = shared;
      cpu::ReplaceResponse(frame, got);
      ExpectSameBits(got, want);
      // The replacement matters: the shared products differ from the new response's.
      if (std::string(response) != "y1") {
        EXPECT_FALSE(SameBytes(shared.a, want.a));
      }
    }
  }
}

TEST(ReplaceResponse, RejectsAFrameWithAnotherDesign) {
  const DataFrame data = TestData();
  const ModelFrame base = Frame(data, "y1", "~ x1 + (1 | g)");
  cpu::CrossProducts cp = cpu::BuildCrossProducts(base, ThetaLayout(base));
  EXPECT_THROW(cpu::ReplaceResponse(Frame(data, "y2", "~ x1 + x2 + (1 | g)"), cp), Error);
  EXPECT_THROW(cpu::ReplaceResponse(Frame(data, "y2", "~ x1 + (1 | h)"), cp), Error);
  ModelFrame fewer = Frame(data, "y2", "~ x1 + (1 | g)");
  fewer.y.conservativeResize(fewer.y.size() - 1);
  EXPECT_THROW(cpu::ReplaceResponse(fewer, cp), Error);
}

// fit --responses shares the design only while ReplaceResponse reproduces BuildCrossProducts (its
// check on the frame's own response); here it must (the test above says why), so sharing is on.
TEST(SharedCrossProducts, AreSharedForCpuFitsOnly) {
  const DataFrame data = TestData();
  for (const char* rhs : {"~ x1 + (1 | g)", "~ x1 + (x1 | g) + (x2 | h)"}) {
    SCOPED_TRACE(rhs);
    const ModelFrame frame = Frame(data, "y2", rhs);
    FitOptions options;  // backend auto, under 100k rows: the CPU
    EXPECT_TRUE(batch::SharedCrossProducts(frame, options).has_value());
    options.residuals = "ar(1, time = x1)";
    EXPECT_FALSE(batch::SharedCrossProducts(frame, options).has_value());
    options.residuals.clear();
    options.reml = false;
    options.ddf = DdfMethod::kSatterthwaite;  // Fit's usage error, response by response
    EXPECT_FALSE(batch::SharedCrossProducts(frame, options).has_value());
  }
}

TEST(ResponseHashes, EqualResponseHashOfEachResponse) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  // Counts around the interleaving width (4), and lengths that differ within a group.
  for (int count : {1, 3, 4, 5, 9}) {
    SCOPED_TRACE(count);
    std::vector<ModelFrame> frames(static_cast<size_t>(count));
    std::vector<const Eigen::VectorXd*> ys;
    for (int k = 0; k < count; ++k) {
      frames[k].y.resize(100 + (count == 9 ? k : 0));
      for (Eigen::Index i = 0; i < frames[k].y.size(); ++i) frames[k].y(i) = normal(rng) * 1e3;
      ys.push_back(&frames[k].y);
    }
    const std::vector<std::string> hashes = batch::ResponseHashes(ys);
    ASSERT_EQ(hashes.size(), static_cast<size_t>(count));
    for (int k = 0; k < count; ++k) EXPECT_EQ(hashes[k], inference::ResponseHash(frames[k])) << k;
  }
  // An empty response hashes nobs alone.
  ModelFrame empty;
  const Eigen::VectorXd* none[] = {&empty.y};
  EXPECT_EQ(batch::ResponseHashes(none)[0], inference::ResponseHash(empty));
}

}  // namespace
}  // namespace lmm
