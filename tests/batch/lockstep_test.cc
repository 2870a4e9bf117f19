// Lock-step fits of many responses (likelihood/lockstep_coordinator.h, batch/responses_lockstep.h)
// on the CPU implementation of the batched evaluation (CpuResponseBatch), so that CI runs the
// coordinator and the per-response finish the GPU path uses.
//
// Comparisons and tolerances:
//  - the coordinator's protocol on a fake batch (rounds, who is evaluated, leaving, throwing):
//    exact;
//  - lock-step fits in groups against each response fitted alone on the same batch type: bit for
//    bit (whole JSON results without times), because every evaluation of a response is a function
//    of its own pieces and Lambda only and the optimizer is deterministic;
//  - lock-step fits against the CPU backend's Fit (CpuEvaluator: the same cross-products, other
//    loops and summation order, objectives within ~1e-13 relative, see
//    tests/kernels_host/one_term_host_test.cc): as tests/gpu/gpu_fit_test.cc, 1e-8 relative on
//    the log-likelihood, sigma and beta (scaled by |beta| + sigma), 1e-6 on theta (flat
//    directions of the profiled objective move theta more than the estimates) and the modes.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "batch/batch_test_util.h"
#include "batch/responses_lockstep.h"
#include "io/fit_report.h"
#include "kernels_host/simulated_frame.h"
#include "likelihood/cpu/cross_products.h"
#include "likelihood/gpu/cluster_pack.h"
#include "likelihood/lockstep_coordinator.h"
#include "likelihood/response_batch.h"
#include "lmm/error.h"
#include "lmm/fit.h"
#include "model/theta_layout.h"

namespace lmm {
namespace {

// ---------------------------------------------------------------------------------------------
// The protocol, on a batch whose "reduction" of slot s at Lambda x is logdet = x + 1000 s.

class FakeBatch final : public ResponseBatch {
 public:
  explicit FakeBatch(int capacity) : capacity_(capacity) { view_.q = 1; }
  int capacity() const override { return capacity_; }
  const kernels::ClusterView& design() const override { return view_; }
  Status LoadGroup(std::span<const ResponsePieces* const> pieces) override {
    ++loads;
    loaded.clear();
    for (const ResponsePieces* p : pieces) loaded.push_back(p != nullptr);
    return Status::Ok();
  }
  Status Evaluate(std::span<const int> slots, std::span<const double> lambdas,
                  std::vector<gpu::ClusterReduction>* out) override {
    if (throw_at_round == static_cast<int>(rounds.size())) throw std::bad_alloc();
    rounds.emplace_back(slots.begin(), slots.end());
    if (fail_at_round + 1 == static_cast<int>(rounds.size()))
      return Status::Error(Status::Code::kDevice, "fake device failure");
    if (short_at_round + 1 == static_cast<int>(rounds.size())) {
      out->clear();  // a faulty batch: "ok" without the round's results
      return Status::Ok();
    }
    out->resize(slots.size());
    for (size_t i = 0; i < slots.size(); ++i) (*out)[i].logdet = lambdas[i] + 1000.0 * slots[i];
    return Status::Ok();
  }

  std::vector<std::vector<int>> rounds;
  std::vector<bool> loaded;
  int loads = 0;
  int fail_at_round = -1;   // Evaluate returns kDevice at this round
  int throw_at_round = -1;  // Evaluate throws at this round
  int short_at_round = -1;  // Evaluate returns ok but no results at this round

 private:
  int capacity_;
  kernels::ClusterView view_;
};

struct Boom : std::runtime_error {
  Boom() : std::runtime_error("boom") {}
};

TEST(LockstepCoordinator, RoundsGatherEveryRunningFitAndFinishedFitsLeave) {
  FakeBatch batch(8);
  LockstepCoordinator coordinator(batch);
  // Evaluations per slot; slot 3 leaves before registering, slot 4 throws after 2 evaluations,
  // slot 5 registers and leaves without evaluating.
  const std::vector<int> evaluations = {1, 5, 3, 0, 6, 0, 7};
  std::vector<std::atomic<int>> wrong(evaluations.size());
  std::vector<int> done(evaluations.size(), 0);
  ResponsePieces pieces;
  EXPECT_THROW(coordinator.Run(static_cast<int>(evaluations.size()),
                               [&](int slot) {
                                 if (slot == 3) return;
                                 ResponsePieces mine;
                                 coordinator.Register(slot, mine);
                                 for (int e = 0; e < evaluations[slot]; ++e) {
                                   if (slot == 4 && e == 2) throw Boom();
                                   const double lambda = 0.5 * e + slot;
                                   gpu::ClusterReduction r;
                                   const Status s = coordinator.Evaluate(slot, {&lambda, 1}, &r);
                                   if (!s.ok() || r.logdet != lambda + 1000.0 * slot) ++wrong[slot];
                                   ++done[slot];
                                 }
                               }),
               Boom);
  for (size_t s = 0; s < evaluations.size(); ++s) EXPECT_EQ(wrong[s].load(), 0) << s;
  EXPECT_EQ(done, (std::vector<int>{1, 5, 3, 0, 2, 0, 7}));
  // Round r evaluates exactly the fits with more than r evaluations, in slot order.
  ASSERT_EQ(batch.rounds.size(), 7u);
  for (int r = 0; r < 7; ++r) {
    std::vector<int> expected;
    for (int s = 0; s < static_cast<int>(done.size()); ++s)
      if (done[s] > r) expected.push_back(s);
    EXPECT_EQ(batch.rounds[r], expected) << "round " << r;
  }
  EXPECT_EQ(coordinator.rounds(), 7);
  EXPECT_EQ(coordinator.evaluations(), 18);
  // The group was loaded once, at the first round, with the slots registered then: not slot 3
  // (never registered) nor slot 5 (left before the round, which waited for it).
  EXPECT_EQ(batch.loads, 1);
  EXPECT_EQ(batch.loaded, (std::vector<bool>{true, true, true, false, true, false, true}));
}

TEST(LockstepCoordinator, ABatchThatFailsOrThrowsFailsTheRoundsFitsWithoutHanging) {
  for (const int mode : {0, 1, 2}) {
    FakeBatch batch(4);
    (mode == 0 ? batch.fail_at_round : mode == 1 ? batch.throw_at_round : batch.short_at_round) = 1;
    LockstepCoordinator coordinator(batch);
    std::vector<Status::Code> last(4, Status::Code::kOk);
    std::vector<int> done(4, 0);
    coordinator.Run(4, [&](int slot) {
      ResponsePieces mine;
      coordinator.Register(slot, mine);
      for (int e = 0; e < 3 + slot; ++e) {
        const double lambda = 1;
        gpu::ClusterReduction r;
        const Status s = coordinator.Evaluate(slot, {&lambda, 1}, &r);
        last[slot] = s.code();
        if (!s.ok()) return;  // as FitCore stops on kDevice
        ++done[slot];
      }
    });
    EXPECT_EQ(done, (std::vector<int>{1, 1, 1, 1})) << mode;
    EXPECT_EQ(last, std::vector<Status::Code>(4, Status::Code::kDevice)) << mode;
  }
}

TEST(LockstepCoordinator, EvaluatingWithoutRegisteringIsAnErrorNotAHang) {
  FakeBatch batch(2);
  LockstepCoordinator coordinator(batch);
  Status status;
  coordinator.Run(2, [&](int slot) {
    if (slot == 1) {
      const double lambda = 1;
      gpu::ClusterReduction r;
      status = coordinator.Evaluate(slot, {&lambda, 1}, &r);
    }
  });
  EXPECT_EQ(status.code(), Status::Code::kInvalidArgument);
  EXPECT_THROW(coordinator.Run(3, [](int) {}), Error);  // more than the capacity
}

// ---------------------------------------------------------------------------------------------
// Whole fits.

struct Case {
  ModelFrame frame;
  std::vector<batch::PreparedResponse> responses;  // label "throw": prepare throws
};

// Responses on `frame`'s design: its own y; noise with almost no cluster effect (theta near its
// bound, another iteration count); strong cluster effects; zero (fails: y is exactly 0 after
// any centering, so the factor of [X y]'[X y] - downdate is singular at every theta); one whose
// preparation throws; another draw.
Case MakeCase(const test::SimulatedShape& shape, bool intercept) {
  Case c;
  c.frame = test::SimulateOneTermFrame(shape);
  ModelFrame& f = c.frame;
  if (!intercept)
    for (int64_t i = 0; i < f.n(); ++i) f.x(i, 0) = 1.5 + std::sin(0.37 * static_cast<double>(i));
  std::mt19937_64 rng(shape.seed + 99);
  std::normal_distribution<double> normal;
  const RandomEffectTerm& t = f.random[0];
  auto draw = [&](double cluster_sd) {
    std::vector<double> b(static_cast<size_t>(t.levels * t.q()));
    for (double& v : b) v = cluster_sd * normal(rng);
    Eigen::VectorXd y(f.n());
    for (int64_t i = 0; i < f.n(); ++i) {
      double v = normal(rng) + f.x.row(i).sum();
      for (int k = 0; k < t.q(); ++k) v += t.z(i, k) * b[t.level[i] * t.q() + k];
      y(i) = v;
    }
    return y;
  };
  auto add = [&](const std::string& name, Eigen::VectorXd y) {
    c.responses.push_back({name + " ~ simulated", name, std::move(y), 0.0});
  };
  add("y0", f.y);
  add("ysingular", draw(1e-4));
  add("ystrong", draw(3.0));
  add("yzero", Eigen::VectorXd::Zero(f.n()));
  add("throw", f.y);
  add("y5", draw(0.7));
  return c;
}

std::vector<batch::ResponseOutcome> FitLockstep(const Case& c, int capacity,
                                                const FitOptions& options,
                                                batch::LockstepStats* stats = nullptr) {
  const cpu::CrossProducts shared = cpu::BuildCrossProducts(c.frame, ThetaLayout(c.frame));
  const gpu::HostClusters design = gpu::PackClusters(shared);
  CpuResponseBatch batch(design, capacity);
  std::vector<batch::ResponseOutcome> outcomes(c.responses.size());
  std::vector<size_t> reported;
  batch::FitResponsesLockstep(
      c.frame, shared, design, batch, options, Backend::kCpu,
      [&](size_t k) {
        if (c.responses[k].formula == "throw ~ simulated")
          throw DataError("response 'throw' is constant");
        return c.responses[k];
      },
      outcomes,
      [&](size_t k) {
        reported.push_back(k);
        return true;
      },
      stats);
  EXPECT_EQ(reported.size(), c.responses.size());
  return outcomes;
}

std::string Json(const batch::ResponseOutcome& o) {
  if (!o.fit) return o.status + ": " + o.message;
  return o.status + ": " + batch_testing::WithoutTimes(io::FitJson(*o.fit)).dump();
}

std::vector<Case> Cases() {
  std::vector<Case> cases;
  cases.push_back(
      MakeCase({.clusters = 30, .q = 1, .p = 2, .min_rows = 2, .max_rows = 9, .seed = 11}, true));
  cases.push_back(
      MakeCase({.clusters = 25, .q = 2, .p = 3, .min_rows = 3, .max_rows = 10, .seed = 12}, true));
  cases.push_back(
      MakeCase({.clusters = 20, .q = 2, .p = 2, .min_rows = 4, .max_rows = 8, .seed = 13}, false));
  return cases;
}

TEST(LockstepFits, GroupedFitsEqualEachResponseFittedAloneBitForBit) {
  for (const bool reml : {true, false}) {
    FitOptions options;
    options.reml = reml;
    for (const Case& c : Cases()) {
      batch::LockstepStats grouped_stats, alone_stats;
      const std::vector<batch::ResponseOutcome> grouped =
          FitLockstep(c, 4, options, &grouped_stats);
      const std::vector<batch::ResponseOutcome> alone = FitLockstep(c, 1, options, &alone_stats);
      // The same evaluations, fewer batched calls: groups of 4 and 2 against 6 groups of 1.
      EXPECT_EQ(grouped_stats.groups, 2);
      EXPECT_EQ(alone_stats.groups, 6);
      EXPECT_EQ(grouped_stats.evaluations, alone_stats.evaluations);
      EXPECT_EQ(alone_stats.rounds, alone_stats.evaluations);
      // A group's rounds are its longest fit's evaluations: fewer calls, at most 4 evaluations
      // each.
      EXPECT_LT(grouped_stats.rounds, alone_stats.rounds);
      EXPECT_GE(4 * grouped_stats.rounds, grouped_stats.evaluations);
      ASSERT_EQ(grouped.size(), alone.size());
      for (size_t k = 0; k < grouped.size(); ++k)
        EXPECT_EQ(Json(grouped[k]), Json(alone[k])) << c.responses[k].label;
      EXPECT_EQ(grouped[3].status, "failed");  // zero response
      EXPECT_EQ(grouped[4].status, "failed");  // preparation threw
      EXPECT_EQ(grouped[4].exit_code, static_cast<int>(ErrorKind::kData));
      EXPECT_NE(grouped[4].message.find("constant"), std::string::npos);
      for (size_t k : {0u, 1u, 2u, 5u}) {
        ASSERT_TRUE(grouped[k].fit.has_value()) << grouped[k].message;
        EXPECT_EQ(grouped[k].fit->backend, "cpu");
      }
      // The fits end at different iteration counts (the group really shrinks as they finish).
      EXPECT_NE(grouped[1].fit->convergence.evaluations, grouped[2].fit->convergence.evaluations);
    }
  }
}

// Also with Kenward-Roger (the inference after the fit reads the evaluator and the frame): df and
// SEs to 1e-6 relative, as the SEs above.
TEST(LockstepFits, MatchTheCpuBackendsFitOfEachResponse) {
  for (const DdfMethod ddf : {DdfMethod::kNone, DdfMethod::kKenwardRoger}) {
    FitOptions options;
    options.backend = BackendChoice::kCpu;
    options.ddf = ddf;
    for (const Case& c : Cases()) {
      const std::vector<batch::ResponseOutcome> grouped = FitLockstep(c, 4, options);
      for (size_t k : {0u, 1u, 2u, 5u}) {
        SCOPED_TRACE(c.responses[k].label + (ddf == DdfMethod::kNone ? "" : " kenward-roger"));
        ModelFrame f = c.frame;
        f.y = c.responses[k].y;
        f.formula = c.responses[k].formula;
        f.response = c.responses[k].label;
        const FitResult cpu = Fit(f, options);
        ASSERT_TRUE(grouped[k].fit.has_value());
        const FitResult& ls = *grouped[k].fit;
        EXPECT_EQ(ls.response_hash, cpu.response_hash);
        EXPECT_NEAR(ls.loglik, cpu.loglik, 1e-8 * std::abs(cpu.loglik));
        const double sigma = std::sqrt(cpu.residual.value);
        EXPECT_NEAR(std::sqrt(ls.residual.value), sigma, 1e-8 * sigma);
        ASSERT_EQ(ls.theta.size(), cpu.theta.size());
        for (size_t i = 0; i < cpu.theta.size(); ++i)
          EXPECT_NEAR(ls.theta[i], cpu.theta[i], 1e-6 * (1 + std::abs(cpu.theta[i])));
        ASSERT_EQ(ls.fixed_effects.size(), cpu.fixed_effects.size());
        for (size_t i = 0; i < cpu.fixed_effects.size(); ++i) {
          const double b = cpu.fixed_effects[i].estimate;
          EXPECT_NEAR(ls.fixed_effects[i].estimate, b, 1e-8 * (std::abs(b) + sigma));
          EXPECT_NEAR(ls.fixed_effects[i].std_error, cpu.fixed_effects[i].std_error,
                      1e-6 * cpu.fixed_effects[i].std_error);
          if (std::isfinite(cpu.fixed_effects[i].df))
            EXPECT_NEAR(ls.fixed_effects[i].df, cpu.fixed_effects[i].df,
                        1e-6 * cpu.fixed_effects[i].df);
          else
            EXPECT_FALSE(std::isfinite(ls.fixed_effects[i].df));
        }
        ASSERT_EQ(ls.modes.size(), cpu.modes.size());
        ASSERT_EQ(ls.modes.size(), 1u);
        EXPECT_LE((ls.modes[0].modes - cpu.modes[0].modes).norm(),
                  1e-6 * (cpu.modes[0].modes.norm() + sigma));
        EXPECT_LE((ls.modes[0].conditional_variances - cpu.modes[0].conditional_variances).norm(),
                  1e-6 * (cpu.modes[0].conditional_variances.norm() + sigma * sigma));
      }
    }
  }
}

// A batch that fails (a device error) from its third round on: every fit still running then stops
// with FitCore's device message, the group ends (no fit waits forever), and the next group runs.
class FailingBatch final : public ResponseBatch {
 public:
  FailingBatch(gpu::HostClusters design, int capacity) : inner_(std::move(design), capacity) {}
  int capacity() const override { return inner_.capacity(); }
  const kernels::ClusterView& design() const override { return inner_.design(); }
  Status LoadGroup(std::span<const ResponsePieces* const> pieces) override {
    rounds_ = 0;
    return inner_.LoadGroup(pieces);
  }
  Status Evaluate(std::span<const int> slots, std::span<const double> lambdas,
                  std::vector<gpu::ClusterReduction>* out) override {
    if (++rounds_ >= 3) return Status::Error(Status::Code::kDevice, "simulated device failure");
    return inner_.Evaluate(slots, lambdas, out);
  }

 private:
  CpuResponseBatch inner_;
  int rounds_ = 0;
};

TEST(LockstepFits, ADeviceFailureFailsTheRunningFitsAndTheRunGoesOn) {
  const Case c = Cases()[1];
  const cpu::CrossProducts shared = cpu::BuildCrossProducts(c.frame, ThetaLayout(c.frame));
  const gpu::HostClusters design = gpu::PackClusters(shared);
  FailingBatch batch(design, 4);
  std::vector<batch::ResponseOutcome> outcomes(c.responses.size());
  int reported = 0;
  batch::FitResponsesLockstep(
      c.frame, shared, design, batch, FitOptions{}, Backend::kGpu,
      [&](size_t k) {
        if (c.responses[k].formula == "throw ~ simulated")
          throw DataError("response 'throw' is constant");
        return c.responses[k];
      },
      outcomes, [&](size_t) { return ++reported < 100; });
  EXPECT_EQ(reported, 6);
  for (size_t k : {0u, 1u, 2u, 5u}) {
    EXPECT_EQ(outcomes[k].status, "failed") << k;
    EXPECT_EQ(outcomes[k].exit_code, static_cast<int>(ErrorKind::kNumerical)) << k;
    EXPECT_NE(outcomes[k].message.find("simulated device failure"), std::string::npos)
        << outcomes[k].message;
  }
  EXPECT_EQ(outcomes[4].exit_code, static_cast<int>(ErrorKind::kData));
}

// report() returning false stops before the next group.
TEST(LockstepFits, ReportReturningFalseStopsAfterTheGroup) {
  const Case c = Cases()[0];
  const cpu::CrossProducts shared = cpu::BuildCrossProducts(c.frame, ThetaLayout(c.frame));
  const gpu::HostClusters design = gpu::PackClusters(shared);
  CpuResponseBatch batch(design, 2);
  std::vector<batch::ResponseOutcome> outcomes(c.responses.size());
  std::vector<size_t> reported;
  batch::FitResponsesLockstep(
      c.frame, shared, design, batch, FitOptions{}, Backend::kCpu,
      [&](size_t k) { return c.responses[k]; }, outcomes,
      [&](size_t k) {
        reported.push_back(k);
        return k != 2;  // third response, first of the second group
      });
  EXPECT_EQ(reported, (std::vector<size_t>{0, 1, 2}));
  EXPECT_FALSE(outcomes[3].status.empty());  // the second group's other fit ran, unreported
  EXPECT_TRUE(outcomes[4].status.empty());   // the third group never started
}

// `fit --responses --backend gpu` on a one-term model: with a usable device every response is
// fitted in lock-step on the GPU ("backend": "gpu", the CPU fit's log-likelihood to 1e-8); without
// one (CI, CPU-only builds) each response fails with --backend gpu's reason, exit code 4, as
// before the lock-step path existed.
TEST(LockstepFits, FitResponsesWithBackendGpuFitsOnTheGpuOrFailsEachResponse) {
  batch_testing::TempDir dir;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal;
  std::string csv = "x,g,y1,y2,y3\n";
  for (int i = 0; i < 240; ++i) {
    const double x = normal(rng), b = std::sin(static_cast<double>(i % 12));
    csv += std::to_string(x) + ",g" + std::to_string(i % 12);
    for (int r = 0; r < 3; ++r) csv += "," + std::to_string(1 + r * x + (r + 1) * b + normal(rng));
    csv += "\n";
  }
  const std::string data = dir.Write("d.csv", csv);
  const auto run = [&](const std::string& backend) {
    return batch_testing::RunCli({"fit", "--data", data, "--formula", "~ x + (1 | g)",
                                  "--responses", "y1,y2,y3", "--backend", backend});
  };
  const batch_testing::CliResult gpu = run("gpu"), cpu = run("cpu");
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  const nlohmann::json g = nlohmann::json::parse(gpu.out), c = nlohmann::json::parse(cpu.out);
  ASSERT_EQ(g.size(), 3u);
  const bool on_gpu = g[0]["status"] == "ok";
  EXPECT_EQ(gpu.exit_code, on_gpu ? 0 : 4) << gpu.err;
  for (size_t k = 0; k < 3; ++k) {
    if (!on_gpu) {
      EXPECT_EQ(g[k]["status"], "failed");
      EXPECT_NE(g[k]["message"].get<std::string>().find("--backend gpu"), std::string::npos)
          << g[k]["message"];
      continue;
    }
    EXPECT_EQ(g[k]["backend"], "gpu");
    const double loglik = c[k]["loglik"].get<double>();
    EXPECT_NEAR(g[k]["loglik"].get<double>(), loglik, 1e-8 * std::abs(loglik));
  }
}

// The response's pieces are those BuildCrossProducts forms for it, and the batched host pass of
// its slot equals the one-response pass (gpu::HostClusterPass) on them: bit for bit.
TEST(ResponseBatch, PiecesAndPassEqualTheOneResponsePipeline) {
  for (const Case& c : Cases()) {
    const ThetaLayout layout(c.frame);
    const cpu::CrossProducts shared = cpu::BuildCrossProducts(c.frame, layout);
    const gpu::HostClusters design = gpu::PackClusters(shared);
    std::vector<ResponsePieces> pieces;
    std::vector<const ResponsePieces*> group;
    for (const size_t k : {0u, 1u, 2u, 5u}) {
      ModelFrame f = c.frame;
      f.y = c.responses[k].y;
      pieces.push_back(MakeResponsePieces(f, shared));
    }
    for (const ResponsePieces& p : pieces) group.push_back(&p);
    CpuResponseBatch batch(design, 4);
    ASSERT_TRUE(batch.LoadGroup(group).ok());
    const int q = design.q;
    std::vector<double> lambdas;
    for (int s = 0; s < 4; ++s) {
      std::vector<double> lambda(q * q);
      layout.term(0).FillLambda(test::UnstructuredTheta(q, 0.3 + 0.4 * s), lambda.data());
      lambdas.insert(lambdas.end(), lambda.begin(), lambda.end());
    }
    std::vector<gpu::ClusterReduction> out;
    const std::vector<int> slots = {3, 0, 2, 1};
    std::vector<double> permuted;
    for (int s : slots)
      permuted.insert(permuted.end(), lambdas.begin() + s * q * q,
                      lambdas.begin() + (s + 1) * q * q);
    ASSERT_TRUE(batch.Evaluate(slots, permuted, &out).ok());
    for (size_t i = 0; i < slots.size(); ++i) {
      const int s = slots[i];
      const size_t k = std::vector<size_t>{0, 1, 2, 5}[static_cast<size_t>(s)];
      ModelFrame f = c.frame;
      f.y = c.responses[k].y;
      const cpu::CrossProducts own = cpu::BuildCrossProducts(f, layout);
      const gpu::HostClusters packed = gpu::PackClusters(own);
      EXPECT_EQ(WithResponse(design, pieces[s]).panel, packed.panel);
      EXPECT_EQ(pieces[s].finish.a, own.a);
      EXPECT_EQ(pieces[s].finish.centering.y_shift, own.centering.y_shift);
      const gpu::ClusterReduction ref =
          gpu::HostClusterPass(packed.view(), lambdas.data() + s * q * q, 0, packed.clusters);
      EXPECT_EQ(out[i].logdet, ref.logdet);
      EXPECT_EQ(out[i].downdate, ref.downdate);
      EXPECT_EQ(out[i].first_failed, -1);
    }
  }
}

}  // namespace
}  // namespace lmm
