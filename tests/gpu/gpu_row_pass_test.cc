// The device one-time pass (gpu_row_pass.h, kernels/row_pass_kernels.h) against its host
// reference (gpu::HostRowPass: the same row_pass_math.h functions over the same chunks, tested
// against cpu::BuildCrossProducts in tests/kernels_host/row_pass_math_test.cc), on frames whose
// rows are in random cluster order, with chunks of 1, 7 and all rows and the budget's chunk size;
// its memory report; bitwise reproducibility. Skipped at run time without a device; label `gpu`.
//
// Tolerance 1e-12 of each entry's Cauchy-Schwarz scale (sqrt of the two columns' sums of
// squares; it bounds the sum of |terms|): the device adds the same terms in the same order with
// the same roundings (__dmul_rn/__dadd_rn, fma only inside the exact TwoProd), so the results
// should agree exactly; the tolerance is what any reordering of at most 1e5 terms could cost.
#include <gtest/gtest.h>

#if LMM_HAVE_CUDA

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "gpu/device.h"
#include "kernels_host/simulated_frame.h"
#include "likelihood/cpu/thread_pool.h"
#include "likelihood/gpu/gpu_context.h"
#include "likelihood/gpu/gpu_row_pass.h"
#include "likelihood/gpu/row_pass_host.h"

namespace lmm {
namespace {

constexpr double kSums = 1e-12;

struct DeviceResult {
  gpu::HostClusters clusters;
  std::vector<double> xx;
  gpu::RowPassStats stats;
};

// `threads` > 1: the staging copies and the centers by a pool of that many threads.
DeviceResult RunOnDevice(const ModelFrame& frame, const gpu::RowPassOptions& options,
                         int threads = 1) {
  DeviceResult r;
  std::unique_ptr<cpu::ThreadPool> pool;
  if (threads > 1) pool = std::make_unique<cpu::ThreadPool>(threads);
  std::unique_ptr<gpu::GpuContext> ctx;
  Status s = gpu::GpuContext::Create(&ctx);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return r;
  gpu::DeviceRowPassOutput out;
  s = gpu::RunDeviceRowPass(frame, gpu::RowPassCentering(frame, pool.get()), options, ctx->stream(),
                            ctx->sync_each_launch(), pool.get(), &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return r;
  r.clusters.clusters = frame.random[0].levels;
  r.clusters.q = frame.random[0].q();
  r.clusters.w = frame.p() + 1;
  r.clusters.d.resize(out.d.size());
  r.clusters.panel.resize(out.panel.size());
  EXPECT_TRUE(out.d.CopyToHost(r.clusters.d.data(), out.d.size(), ctx->stream()).ok());
  EXPECT_TRUE(out.panel.CopyToHost(r.clusters.panel.data(), out.panel.size(), ctx->stream()).ok());
  EXPECT_TRUE(ctx->Synchronize().ok());
  r.xx = out.xx;
  r.stats = out.stats;
  return r;
}

// |a - b| <= kSums sqrt(ss_u ss_v) per entry sum_i u_i v_i, with ss the cluster's sums of squares
// of the two columns (Cauchy-Schwarz: a bound on the entry's sum of |terms|).
void ExpectSameSums(const ModelFrame& frame, const cpu::CenteringInfo& cen,
                    const gpu::HostClusters& got, const gpu::HostClusters& ref) {
  ASSERT_EQ(got.d.size(), ref.d.size());
  ASSERT_EQ(got.panel.size(), ref.panel.size());
  const int q = ref.q, w = ref.w;
  const int64_t n = ref.clusters;
  const RandomEffectTerm& t = frame.random[0];
  std::vector<double> zz(n * q, 0.0), vv(n * w, 0.0);
  for (int64_t i = 0; i < frame.n(); ++i) {
    const int64_t c = t.level[i];
    for (int a = 0; a < q; ++a) zz[c * q + a] += t.z(i, a) * t.z(i, a);
    for (int r = 0; r < w; ++r) {
      const double v = r < w - 1 ? frame.x(i, r) - cen.x_shift(r) : frame.y(i) - cen.y_shift;
      vv[c * w + r] += v * v;
    }
  }
  for (int64_t c = 0; c < n; ++c) {
    for (int a = 0; a < q; ++a)
      for (int b = 0; b <= a; ++b) {
        const int64_t at = kernels::PackedIndex(a, b) * n + c;
        ASSERT_NEAR(got.d[at], ref.d[at], kSums * std::sqrt(zz[c * q + a] * zz[c * q + b]))
            << "D " << c;
      }
    for (int a = 0; a < q; ++a)
      for (int r = 0; r < w; ++r) {
        const int64_t at = static_cast<int64_t>(r + a * w) * n + c;
        ASSERT_NEAR(got.panel[at], ref.panel[at], kSums * std::sqrt(vv[c * w + r] * zz[c * q + a]))
            << "G " << c;
      }
  }
}

TEST(GpuRowPass, MatchesHostPassForEveryChunkSize) {
  LMM_SKIP_WITHOUT_DEVICE();
  struct Case {
    int64_t clusters;
    int q, p, min_rows, max_rows;
  };
  // The last two: runs of kLongRun rows or more in a chunk (the warp path), and one cluster.
  const Case cases[] = {{300, 1, 1, 1, 3},    {300, 2, 4, 1, 6},    {200, 3, 3, 1, 2},
                        {50, 8, 2, 1, 12},    {30, 2, 31, 1, 40},   {1, 1, 2, 5, 5},
                        {12, 3, 4, 250, 900}, {1, 2, 3, 3000, 3000}};
  for (const Case& c : cases) {
    const ModelFrame frame = test::SimulateShuffledFrame(c.clusters, c.q, c.p, c.min_rows,
                                                         c.max_rows, 40 + c.q * 10 + c.p);
    const cpu::CenteringInfo cen = gpu::RowPassCentering(frame);
    for (const int64_t chunk : {int64_t{1}, int64_t{7}, frame.n(), int64_t{0}}) {
      SCOPED_TRACE("clusters " + std::to_string(c.clusters) + " q " + std::to_string(c.q) + " p " +
                   std::to_string(c.p) + " chunk " + std::to_string(chunk));
      gpu::RowPassOptions options;
      options.where = gpu::RowPassWhere::kDevice;
      options.chunk_rows = chunk;
      const DeviceResult got = RunOnDevice(frame, options, chunk == 7 ? 1 : 3);
      const int64_t used = gpu::PlanChunkRows(frame.n(), c.q, c.p + 1, options);
      const gpu::RowPassResult ref = gpu::HostRowPass(frame, cen, used);
      ExpectSameSums(frame, cen, got.clusters, ref.clusters);
      ASSERT_EQ(got.xx.size(), ref.xx.size());
      const int w = c.p + 1;
      for (int i = 0; i < w; ++i)
        for (int j = 0; j <= i; ++j)
          EXPECT_NEAR(got.xx[kernels::PackedIndex(i, j)], ref.xx[kernels::PackedIndex(i, j)],
                      kSums * std::sqrt(ref.xx[kernels::PackedIndex(i, i)] *
                                        ref.xx[kernels::PackedIndex(j, j)]));
      EXPECT_EQ(got.stats.chunk_rows, used);
      EXPECT_EQ(got.stats.chunks, (frame.n() + used - 1) / used);
      if (HasFatalFailure()) return;
    }
  }
}

TEST(GpuRowPass, ReportsItsMemoryAndUpload) {
  LMM_SKIP_WITHOUT_DEVICE();
  const ModelFrame frame = test::SimulateShuffledFrame(2000, 2, 4, 1, 9, 77);
  gpu::RowPassOptions options;
  options.chunk_rows = 1000;
  const DeviceResult r = RunOnDevice(frame, options);
  const int q = 2, w = 5;
  EXPECT_TRUE(r.stats.on_device);
  EXPECT_EQ(r.stats.rows, frame.n());
  EXPECT_EQ(r.stats.resident_bytes, gpu::RowPassResidentBytes(2000, q, w));
  EXPECT_EQ(r.stats.upload_bytes, frame.n() * ((q + w) * 8 + 4));
  EXPECT_EQ(r.stats.pinned_host_bytes, 2 * 1000 * ((q + w) * 8 + 4));
  EXPECT_GE(r.stats.staging_device_bytes, 1000 * (3 * (q + w) * 8 + 2 * 4));
  EXPECT_GT(r.stats.seconds, 0.0);
  EXPECT_GT(r.stats.upload_seconds, 0.0);
  EXPECT_GT(r.stats.kernel_seconds, 0.0);
}

TEST(GpuRowPass, RepeatedPassesAreBitwiseEqual) {
  LMM_SKIP_WITHOUT_DEVICE();
  const ModelFrame frame = test::SimulateShuffledFrame(50000, 2, 4, 1, 30, 91);
  gpu::RowPassOptions options;
  options.chunk_rows = 100000;
  const DeviceResult a = RunOnDevice(frame, options), b = RunOnDevice(frame, options);
  ASSERT_EQ(a.clusters.d.size(), b.clusters.d.size());
  EXPECT_EQ(std::memcmp(a.clusters.d.data(), b.clusters.d.data(), a.clusters.d.size() * 8), 0);
  EXPECT_EQ(
      std::memcmp(a.clusters.panel.data(), b.clusters.panel.data(), a.clusters.panel.size() * 8),
      0);
  EXPECT_EQ(std::memcmp(a.xx.data(), b.xx.data(), a.xx.size() * 8), 0);
}

}  // namespace
}  // namespace lmm

#else  // !LMM_HAVE_CUDA

TEST(GpuRowPass, NotBuilt) { GTEST_SKIP() << "built without the CUDA backend"; }

#endif  // LMM_HAVE_CUDA
