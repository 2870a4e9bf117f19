// The backend choice of fits with residual structures (residual/fit_with_residuals.cc), which
// every build makes: --backend gpu is a usage error naming why when the GPU path cannot run the
// model (here: two random-effect terms; in builds or machines without a device, the device), and
// auto stays on the CPU below 100,000 rows. The GPU fits themselves:
// tests/gpu/gpu_residual_test.cc.
#include <gtest/gtest.h>

#include <string>

#include "kernels_host/residual_case.h"
#include "lmm/error.h"
#include "lmm/fit.h"

namespace lmm {
namespace {

TEST(ResidualBackend, GpuIsRefusedWithTheReasonForAModelItCannotTake) {
  const auto c = test::LoadResidualCase(
      "pastes.csv", "strength ~ 1 + (1 | batch) + (1 | batch:cask)", "independent", {});
  FitOptions options;
  options.residuals = "independent";
  options.backend = BackendChoice::kGpu;
  try {
    Fit(c->frame, options);
    FAIL() << "expected a usage error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    const std::string what = e.what();
    EXPECT_NE(what.find("--backend gpu: residual structures cannot be fitted on the GPU: "),
              std::string::npos)
        << what;
  }
}

TEST(ResidualBackend, AutoFitsSmallDataOnTheCpu) {
  const auto c = test::LoadResidualCase("ovary.csv", "follicles ~ sin1 + cos1 + (1 | Mare)",
                                        "ar(2, time = time)", {"time"});
  FitOptions options;
  options.residuals = "ar(2, time = time)";
  options.residual_columns = c->columns;
  options.backend = BackendChoice::kAuto;
  const FitResult fit = Fit(c->frame, options);
  EXPECT_EQ(fit.backend, "cpu");
  EXPECT_NEAR(fit.loglik, -772.598553692, 1e-3);  // nlme (../shared/reference/ovary_ar2_reml)
}

}  // namespace
}  // namespace lmm
