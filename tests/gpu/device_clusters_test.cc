// gpu::DeviceClusters (the streamed fit's per-rank device pass) against the host reference: per
// block, the sums of gpu::HostClusterPass over the same clusters. Seeded random clusters with empty
// clusters and clusters with fewer rows than q; a last block shorter than the others, blocks of one
// cluster, no clusters at all (an empty shard), and a failing cluster reported in its block.
// Skipped at run time without a device; label `gpu`.
//
// Tolerance: 1e-12 relative to the sum of the magnitudes of the summed terms, as in
// cluster_kernels_test.cc: only the order of summation and fused multiply-adds differ.
#include <gtest/gtest.h>

#if LMM_HAVE_CUDA

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "gpu/device.h"
#include "likelihood/gpu/device_clusters.h"
#include "likelihood/gpu/one_term_host.h"

namespace lmm {
namespace {

using kernels::PackedIndex;
using kernels::PackedSize;

gpu::HostClusters RandomClusters(int64_t n, int q, int w, uint64_t seed) {
  gpu::HostClusters h;
  h.clusters = n;
  h.q = q;
  h.w = w;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  h.d.assign(static_cast<size_t>(PackedSize(q) * n), 0.0);
  h.panel.assign(static_cast<size_t>(w * q * n), 0.0);
  std::vector<double> z(q), xy(w);
  for (int64_t c = 0; c < n; ++c) {
    const int rows = static_cast<int>(c % 5);  // 0 (empty) to 4, so some rows < q
    for (int r = 0; r < rows; ++r) {
      for (int k = 0; k < q; ++k) z[k] = k == 0 ? 1.0 : normal(rng);
      for (int j = 0; j < w; ++j) xy[j] = normal(rng);
      for (int i = 0; i < q; ++i)
        for (int j = 0; j <= i; ++j) h.d[PackedIndex(i, j) * n + c] += z[i] * z[j];
      for (int k = 0; k < q; ++k)
        for (int j = 0; j < w; ++j) h.panel[(j + k * w) * n + c] += xy[j] * z[k];
    }
  }
  return h;
}

std::vector<double> Lambda(int q) {
  std::vector<double> lambda(static_cast<size_t>(q * q), 0.0);
  for (int j = 0; j < q; ++j)
    for (int i = j; i < q; ++i) lambda[i + j * q] = i == j ? 0.8 + 0.1 * i : 0.2;
  return lambda;
}

// Per block: the host sums and a scale for the tolerance (the sums of magnitudes).
void ExpectBlocksMatchHost(const gpu::HostClusters& h, int64_t block) {
  std::unique_ptr<gpu::DeviceClusters> dc;
  const Status s = gpu::DeviceClusters::Create(h, block, &dc);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const std::vector<double> lambda = Lambda(h.q);
  std::vector<gpu::ClusterReduction> blocks;
  const Status r = dc->ReduceBlocks(lambda.data(), &blocks);
  ASSERT_TRUE(r.ok()) << r.ToString();
  ASSERT_EQ(static_cast<int64_t>(blocks.size()), (h.clusters + block - 1) / block);
  for (size_t b = 0; b < blocks.size(); ++b) {
    SCOPED_TRACE(b);
    const int64_t begin = static_cast<int64_t>(b) * block;
    const int64_t end = std::min(h.clusters, begin + block);
    const gpu::ClusterReduction want = gpu::HostClusterPass(h.view(), lambda.data(), begin, end);
    EXPECT_EQ(blocks[b].first_failed, want.first_failed);
    EXPECT_NEAR(blocks[b].logdet, want.logdet, 1e-12 * (1.0 + std::abs(want.logdet)));
    ASSERT_EQ(blocks[b].downdate.size(), want.downdate.size());
    double scale = 1.0;
    for (double v : want.downdate) scale += std::abs(v);
    for (size_t e = 0; e < want.downdate.size(); ++e)
      EXPECT_NEAR(blocks[b].downdate[e], want.downdate[e], 1e-12 * scale) << e;
  }
}

TEST(DeviceClusters, BlocksEqualTheHostPassPerBlock) {
  LMM_SKIP_WITHOUT_DEVICE();
  ExpectBlocksMatchHost(RandomClusters(5000, 2, 5, 1), 1024);  // last block of 904
  ExpectBlocksMatchHost(RandomClusters(3000, 1, 1, 2), 1024);  // q = 1, w = 1
  ExpectBlocksMatchHost(RandomClusters(37, 3, 32, 3), 1);      // blocks of one cluster
  ExpectBlocksMatchHost(RandomClusters(300000, 2, 4, 4), 1024);
  // Blocks of two rounds on 2048 CTAs, then a last block of 782 CTAs and one round (the one
  // launch leaves the last block's other CTAs idle).
  ExpectBlocksMatchHost(RandomClusters(700000, 2, 3, 7), 300000);
}

TEST(DeviceClusters, AnEmptyShardHasNoBlocks) {
  LMM_SKIP_WITHOUT_DEVICE();
  gpu::HostClusters h = RandomClusters(0, 2, 3, 5);
  std::unique_ptr<gpu::DeviceClusters> dc;
  ASSERT_TRUE(gpu::DeviceClusters::Create(h, 1024, &dc).ok());
  std::vector<gpu::ClusterReduction> blocks(3);
  const std::vector<double> lambda = Lambda(2);
  ASSERT_TRUE(dc->ReduceBlocks(lambda.data(), &blocks).ok());
  EXPECT_TRUE(blocks.empty());
}

TEST(DeviceClusters, AFailingClusterIsReportedInItsBlock) {
  LMM_SKIP_WITHOUT_DEVICE();
  gpu::HostClusters h = RandomClusters(2500, 2, 3, 6);
  h.d[PackedIndex(1, 1) * h.clusters + 2000] = std::numeric_limits<double>::quiet_NaN();
  std::unique_ptr<gpu::DeviceClusters> dc;
  ASSERT_TRUE(gpu::DeviceClusters::Create(h, 1024, &dc).ok());
  std::vector<gpu::ClusterReduction> blocks;
  const std::vector<double> lambda = Lambda(2);
  ASSERT_TRUE(dc->ReduceBlocks(lambda.data(), &blocks).ok());
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[0].first_failed, -1);
  EXPECT_EQ(blocks[1].first_failed, 2000);
  EXPECT_EQ(blocks[2].first_failed, -1);
}

}  // namespace
}  // namespace lmm

#endif  // LMM_HAVE_CUDA
