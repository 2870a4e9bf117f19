// The batched cluster pass (kernels/cluster_kernels.h) against its host reference
// (gpu::HostClusterPass: the same cluster_math.h functions summed in cluster order) on seeded
// random clusters: edge sizes (one row, fewer rows than q, empty clusters, q = 1, w = 1 and 32),
// shards (empty, one cluster, offset), several rounds per thread, failure reporting. Skipped at
// run time without a device; label `gpu`.
//
// Tolerance: 1e-12 relative to the sum of the magnitudes of the summed terms: only the order of
// summation and fused multiply-adds differ (a few ulps per term).
#include <gtest/gtest.h>

#if LMM_HAVE_CUDA

#include <cmath>
#include <random>
#include <vector>

#include "cluster_kernels.h"
#include "gpu/device.h"
#include "likelihood/gpu/device_buffer.h"
#include "likelihood/gpu/gpu_context.h"
#include "likelihood/gpu/one_term_host.h"

namespace lmm {
namespace {

using kernels::PackedIndex;
using kernels::PackedSize;

// Random per-cluster cross-products in the device layout; cluster c has rows_of(c) rows.
struct RandomClusters {
  int64_t clusters;
  int q, w;
  std::vector<double> d, panel, lambda;

  RandomClusters(int64_t n, int q_, int w_, uint64_t seed) : clusters(n), q(q_), w(w_) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    d.assign(PackedSize(q) * n, 0.0);
    panel.assign(w * q * n, 0.0);
    std::vector<double> z(q), xy(w);
    for (int64_t c = 0; c < n; ++c) {
      const int rows = static_cast<int>(c % 7);  // 0 (empty) to 6, so some rows < q
      for (int r = 0; r < rows; ++r) {
        for (int k = 0; k < q; ++k) z[k] = k == 0 ? 1.0 : normal(rng);
        for (int j = 0; j < w; ++j) xy[j] = normal(rng);
        for (int i = 0; i < q; ++i)
          for (int j = 0; j <= i; ++j) d[PackedIndex(i, j) * n + c] += z[i] * z[j];
        for (int k = 0; k < q; ++k)
          for (int j = 0; j < w; ++j) panel[(j + k * w) * n + c] += xy[j] * z[k];
      }
    }
    lambda.assign(q * q, 0.0);
    for (int j = 0; j < q; ++j)
      for (int i = j; i < q; ++i) lambda[i + j * q] = i == j ? 0.8 + 0.1 * i : 0.2;
  }
  kernels::ClusterView view() const { return {clusters, q, w, d.data(), panel.data()}; }
};

// Runs the pass on the device over clusters [begin, begin + count).
gpu::ClusterReduction DevicePass(const RandomClusters& h, int64_t begin, int64_t count) {
  gpu::ClusterReduction failed_setup;  // what a failed allocation or copy returns (a mismatch)
  failed_setup.first_failed = -2;
  std::unique_ptr<gpu::GpuContext> ctx;
  const Status created = gpu::GpuContext::Create(&ctx);
  EXPECT_TRUE(created.ok()) << created.ToString();
  if (!created.ok()) return failed_setup;
  const cudaStream_t stream = ctx->stream();
  const int entries = kernels::ReducedEntries(h.w);
  const kernels::ClusterPassShape shape = kernels::ShapeClusterPass(count);
  gpu::DeviceBuffer<double> d_d, d_panel, d_lambda, d_partials, d_result;
  gpu::DeviceBuffer<long long> d_block_failed, d_failed;
  // The copies only after every allocation succeeded (a braced list evaluates all its elements).
  bool ok = true;
  for (const Status& s :
       {d_d.Allocate(h.d.size()), d_panel.Allocate(h.panel.size()), d_lambda.Allocate(h.q * h.q),
        d_partials.Allocate(static_cast<size_t>(entries) * shape.blocks),
        d_block_failed.Allocate(shape.blocks), d_result.Allocate(entries), d_failed.Allocate(1)}) {
    EXPECT_TRUE(s.ok()) << s.ToString();
    ok = ok && s.ok();
  }
  if (!ok) return failed_setup;
  for (const Status& s : {d_d.CopyFromHost(h.d.data(), h.d.size(), stream),
                          d_panel.CopyFromHost(h.panel.data(), h.panel.size(), stream),
                          d_lambda.CopyFromHost(h.lambda.data(), h.lambda.size(), stream)}) {
    EXPECT_TRUE(s.ok()) << s.ToString();
    ok = ok && s.ok();
  }
  if (!ok) return failed_setup;
  kernels::ClusterPassArgs args;
  args.view = {h.clusters, h.q, h.w, d_d.get(), d_panel.get()};
  args.begin = begin;
  args.count = count;
  args.d_lambda = d_lambda.get();
  args.d_partials = d_partials.get();
  args.d_block_failed = d_block_failed.get();
  args.d_result = d_result.get();
  args.d_failed = d_failed.get();
  EXPECT_EQ(kernels::LaunchClusterPass(args, stream, /*sync_each_launch=*/true), cudaSuccess);
  std::vector<double> result(entries);
  long long failed = -2;
  EXPECT_TRUE(d_result.CopyToHost(result.data(), entries, stream).ok());
  EXPECT_TRUE(d_failed.CopyToHost(&failed, 1, stream).ok());
  EXPECT_TRUE(ctx->Synchronize().ok());
  gpu::ClusterReduction r;
  r.downdate.assign(result.begin(), result.end() - 1);
  r.logdet = result.back();
  r.first_failed = failed;
  return r;
}

// Sum of |terms| of each entry, for the tolerance.
std::vector<double> Magnitudes(const RandomClusters& h, int64_t begin, int64_t end) {
  using namespace kernels;
  std::vector<double> m(ReducedEntries(h.w), 0.0);
  double d[kMaxClusterQ * kMaxClusterQ], l[kMaxClusterQ * kMaxClusterQ];
  double panel[kMaxClusterW * kMaxClusterQ];
  for (int64_t c = begin; c < end; ++c) {
    LoadCluster(h.view(), c, d, panel);
    double logdet = 0;
    if (!EliminateCluster(h.q, h.w, h.lambda.data(), d, l, panel, &logdet)) continue;
    for (int i = 0; i < h.w; ++i)
      for (int j = 0; j <= i; ++j)
        m[PackedIndex(i, j)] += std::abs(DowndateEntry(h.q, h.w, panel, i, j));
    m.back() += std::abs(logdet);
  }
  return m;
}

void ExpectPassMatchesHost(const RandomClusters& h, int64_t begin, int64_t count) {
  SCOPED_TRACE("q " + std::to_string(h.q) + " w " + std::to_string(h.w) + " clusters [" +
               std::to_string(begin) + ", " + std::to_string(begin + count) + ")");
  const gpu::ClusterReduction dev = DevicePass(h, begin, count);
  const gpu::ClusterReduction host =
      gpu::HostClusterPass(h.view(), h.lambda.data(), begin, begin + count);
  const std::vector<double> mag = Magnitudes(h, begin, begin + count);
  EXPECT_EQ(dev.first_failed, -1);
  ASSERT_EQ(dev.downdate.size(), host.downdate.size());
  for (size_t e = 0; e < host.downdate.size(); ++e)
    EXPECT_NEAR(dev.downdate[e], host.downdate[e], 1e-12 * mag[e]) << "entry " << e;
  EXPECT_NEAR(dev.logdet, host.logdet, 1e-12 * mag.back());
  if (count == 0) {
    for (double v : dev.downdate) EXPECT_EQ(v, 0.0);
    EXPECT_EQ(dev.logdet, 0.0);
  }
}

TEST(ClusterKernels, MatchHostReferenceForEveryInstantiationAndEdgeSize) {
  LMM_SKIP_WITHOUT_DEVICE();
  uint64_t seed = 0;
  for (int q : {1, 2, 3, 4, 5, 8})
    for (int w : {1, 5, kernels::kMaxClusterW}) {
      const RandomClusters h(1000, q, w, ++seed);
      ExpectPassMatchesHost(h, 0, h.clusters);
      ExpectPassMatchesHost(h, 0, 0);      // empty shard
      ExpectPassMatchesHost(h, 500, 0);    // empty shard, offset
      ExpectPassMatchesHost(h, 1, 1);      // one cluster (one row)
      ExpectPassMatchesHost(h, 7, 1);      // one empty cluster
      ExpectPassMatchesHost(h, 129, 700);  // offset shard over several blocks
    }
}

TEST(ClusterKernels, SeveralRoundsPerThread) {
  LMM_SKIP_WITHOUT_DEVICE();
  // 128 x 2048 threads per round: 600000 clusters take three rounds.
  const RandomClusters h(600000, 2, 5, 77);
  ASSERT_EQ(kernels::ShapeClusterPass(h.clusters).rounds, 3);
  ExpectPassMatchesHost(h, 0, h.clusters);
  ExpectPassMatchesHost(h, 12345, 400000);
}

TEST(ClusterKernels, ReportTheFirstFailingCluster) {
  LMM_SKIP_WITHOUT_DEVICE();
  RandomClusters h(5000, 2, 3, 5);
  for (int64_t bad : {int64_t{4321}, int64_t{130}, int64_t{3000}})
    h.d[PackedIndex(1, 1) * h.clusters + bad] = std::nan("");
  const gpu::ClusterReduction whole = DevicePass(h, 0, h.clusters);
  EXPECT_EQ(whole.first_failed, 130);
  const gpu::ClusterReduction shard = DevicePass(h, 200, 4800);
  EXPECT_EQ(shard.first_failed, 3000);
  const gpu::ClusterReduction clean = DevicePass(h, 0, 130);
  EXPECT_EQ(clean.first_failed, -1);
}

}  // namespace
}  // namespace lmm

#else  // !LMM_HAVE_CUDA

TEST(ClusterKernels, NotBuilt) { GTEST_SKIP() << "built without the CUDA backend"; }

#endif  // LMM_HAVE_CUDA
