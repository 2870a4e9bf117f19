// A device failure during a fit (Status kDevice from Evaluator::Update) stops the fit with the
// device's message; it is not taken for an infeasible theta (+inf), as a factor that is not
// positive definite is. Runs without a device: a stand-in evaluator wraps the CPU one and fails
// on a chosen call; for the streamed fit, a stand-in collective brings another process' failure.
#include <gtest/gtest.h>

#include <cmath>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "kernels_host/simulated_frame.h"
#include "likelihood/cpu/cpu_evaluator.h"
#include "likelihood/fit_core.h"
#include "likelihood/gpu/cluster_pack.h"
#include "lmm/error.h"
#include "model/theta_layout.h"
#include "scale/stream_evaluator.h"

namespace lmm {
namespace {

class FailingEvaluator final : public Evaluator {
 public:
  FailingEvaluator(const ModelFrame& frame, int fail_call, Status failure)
      : Evaluator(frame),
        cpu_(frame, EvaluatorOptions{}),
        fail_call_(fail_call),
        failure_(failure) {}

  Status Update(std::span<const double> theta) override {
    if (calls_++ == fail_call_) return failure_;
    const Status s = cpu_.Update(theta);
    pwrss_ = cpu_.pwrss();
    logdet_l_ = cpu_.logdet_l();
    logdet_rx_ = cpu_.logdet_rx();
    beta_ = cpu_.beta();
    rx_ = cpu_.rx();
    return s;
  }
  Eigen::MatrixXd ConditionalModes(int t) const override { return cpu_.ConditionalModes(t); }
  Eigen::MatrixXd ConditionalVariances(int t, double sigma2) const override {
    return cpu_.ConditionalVariances(t, sigma2);
  }

 private:
  CpuEvaluator cpu_;
  int fail_call_;
  Status failure_;
  int calls_ = 0;
};

const Status kIllegalAccess =
    Status::Error(Status::Code::kDevice, "an illegal memory access was encountered");

ModelFrame Frame() {
  test::SimulatedShape shape;
  shape.clusters = 40;
  shape.q = 2;
  return test::SimulateOneTermFrame(shape);
}

TEST(DeviceError, AtTheStartStopsTheFitWithTheMessage) {
  const ModelFrame frame = Frame();
  FailingEvaluator ev(frame, 0, kIllegalAccess);
  try {
    FitCore(ev, frame, FitCoreOptions{});
    FAIL() << "the fit went on after a device error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNumerical);
    EXPECT_NE(std::string(e.what()).find("GPU failed"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("illegal memory access"), std::string::npos) << e.what();
  }
}

TEST(DeviceError, DuringTheOptimizationStopsTheFit) {
  const ModelFrame frame = Frame();
  FailingEvaluator ev(frame, 6, kIllegalAccess);
  EXPECT_THROW(FitCore(ev, frame, FitCoreOptions{}), Error);
}

// The contrast: a point that is not positive definite is infeasible (+inf to the optimizer), and
// the fit goes on past it.
TEST(DeviceError, NotPositiveDefiniteIsAnInfeasiblePointInstead) {
  const ModelFrame frame = Frame();
  FailingEvaluator ev(frame, 6,
                      Status::Error(Status::Code::kNotPositiveDefinite, "evaluator: test point"));
  FitCoreResult r;
  EXPECT_NO_THROW(r = FitCore(ev, frame, FitCoreOptions{}));
  EXPECT_GT(r.optimizer.evaluations, 6);
  EXPECT_TRUE(std::isfinite(r.objective));
}

// A streamed fit over several processes: the gather of the blocks' sums brings another process'
// block flags (1: a cluster not factored; 2: that process' GPU failed). A stand-in collective
// appends such a block to this process' own. Every process must stop on another's device
// failure (kDevice), not take it for an infeasible point and call the gather again.
class OtherProcessCollective final : public scale::Collective {
 public:
  explicit OtherProcessCollective(double flag) : flag_(flag) {}
  std::vector<double> GatherDoubles(std::span<const double> local) override {
    std::vector<double> all(local.begin(), local.end());
    const size_t width = all.size();  // this process holds one block: the other's is as wide
    all.resize(2 * width, 0.0);
    all.back() = flag_;
    return all;
  }

 private:
  double flag_;
};

Status StreamedUpdateWithOtherProcessFlag(double flag) {
  test::SimulatedShape shape;
  shape.clusters = 40;  // one block of kClusterBlock
  shape.q = 2;
  const ModelFrame frame = test::SimulateOneTermFrame(shape);
  scale::StreamPieces pieces;
  pieces.n = frame.n();
  pieces.cp = cpu::BuildCrossProducts(frame, ThetaLayout(frame));
  pieces.block = gpu::PackClusters(pieces.cp);
  OtherProcessCollective collective(flag);
  scale::StreamEvaluator ev(frame, std::move(pieces), collective);
  return ev.Update(ev.layout().start());
}

TEST(DeviceError, AnotherProcessDeviceFailureStopsEveryProcess) {
  EXPECT_TRUE(StreamedUpdateWithOtherProcessFlag(0.0).ok());
  EXPECT_EQ(StreamedUpdateWithOtherProcessFlag(1.0).code(), Status::Code::kNotPositiveDefinite);
  const Status s = StreamedUpdateWithOtherProcessFlag(2.0);
  EXPECT_EQ(s.code(), Status::Code::kDevice) << s.ToString();
}

}  // namespace
}  // namespace lmm
