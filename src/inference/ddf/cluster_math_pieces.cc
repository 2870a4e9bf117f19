// The per-cluster engine of the variance pieces for one-term models (kernels/variance_math.h):
// run on the host (tests) or the GPU (after a GPU fit), finished as the row engine finishes.
#include "inference/ddf/variance_pieces.h"

#include <algorithm>

#include "inference/ddf/variance_sums.h"
#include "inference/ddf/variance_workspace.h"
#include "io/parallel_for.h"
#include "lmm/error.h"
#include "variance_math.h"

#if LMM_HAVE_CUDA
#include "likelihood/gpu/gpu_variance_pieces.h"
#endif

namespace lmm::inference::ddf {

using Eigen::MatrixXd;
using internal::Prepare;
using internal::Prepared;
using internal::Sums;

namespace {

// A one-term model's rows [z_i xe_i] grouped by cluster (row-major, q + w doubles each; cluster c
// at rows [row_start[c], row_start[c+1])), the input of kernels::ClusterRowsFactor.
struct ClusterMathInput {
  int64_t clusters = 0;
  int q = 0, w = 0, nr = 0;
  std::vector<double> lambda, patterns, rows;
  std::vector<int64_t> row_start;
};

ClusterMathInput BuildClusterMathInput(const ModelFrame& frame, const ClusterPartition& partition,
                                       const Prepared& pr, int threads) {
  ClusterMathInput in;
  in.clusters = partition.clusters;
  in.q = frame.random[0].q();
  in.w = static_cast<int>(pr.xe.cols());
  in.nr = pr.out.m() - 1;
  const int q = in.q, w = in.w, d = q + w;
  const auto qq = static_cast<size_t>(q * q);
  in.lambda.assign(pr.lambda[0].data(), pr.lambda[0].data() + qq);
  for (int k = 0; k < in.nr; ++k)
    in.patterns.insert(in.patterns.end(), pr.out.params[k].e.data(),
                       pr.out.params[k].e.data() + qq);
  in.row_start = partition.row_start;
  const int64_t n = frame.n();
  in.rows.resize(static_cast<size_t>(n * d));
  const RandomEffectTerm& term = frame.random[0];
  const int workers = std::max(1, io::ResolveThreads(threads));
  io::ParallelFor(static_cast<size_t>(workers), workers, [&](size_t wk) {
    const int64_t k0 = n * static_cast<int64_t>(wk) / workers;
    const int64_t k1 = n * static_cast<int64_t>(wk + 1) / workers;
    for (int64_t k = k0; k < k1; ++k) {
      const int64_t i = partition.rows[static_cast<size_t>(k)];
      double* out = in.rows.data() + k * d;
      for (int e = 0; e < q; ++e) out[e] = term.z(i, e);
      for (int e = 0; e < w; ++e) out[q + e] = pr.xe(i, e);
    }
  });
  return in;
}

// Sums from the reduced matrix pieces (piece * w^2 + a + b w) and scalars.
VariancePieces FromClusterMath(const ClusterMathInput& in, const std::vector<double>& pieces,
                               const std::vector<double>& scalars, Prepared& pr, int64_t n) {
  const int w = in.w, nr = in.nr, m = nr + 1, res = nr;
  const int pairs = kernels::VariancePairs(nr);
  if (scalars.back() > 0)
    throw Error(ErrorKind::kNumerical, "DDF: Lambda'Z'Z Lambda + I is not positive definite");
  auto piece = [&](int index) {
    return Eigen::Map<const MatrixXd>(pieces.data() + static_cast<size_t>(index) * w * w, w, w);
  };
  Sums s(m, w);
  s.xvx = piece(0) + piece(1);
  s.xv2x = piece(0) + piece(2);
  s.xv3x = piece(0) + piece(3);
  s.tr_ms = scalars[0];
  s.tr_msms = scalars[1];
  for (int k = 0; k < nr; ++k) {
    s.pt[k] = piece(4 + k);
    s.qt[static_cast<size_t>(k * m + res)] = piece(4 + nr + pairs + k);
    s.tr_vg(k) = scalars[static_cast<size_t>(2 + k)];
    s.t(k, res) = scalars[static_cast<size_t>(2 + nr + pairs + k)];
    for (int j = k; j < nr; ++j) {
      s.qt[static_cast<size_t>(k * m + j)] = piece(4 + nr + kernels::PackedIndex(j, k));
      s.t(k, j) = scalars[static_cast<size_t>(2 + nr + kernels::PackedIndex(j, k))];
    }
  }
  return internal::Finish(s, pr, n);
}

}  // namespace

bool ClusterMathApplies(const ModelFrame& frame, const ClusterPartition& partition) {
  if (frame.random.size() != 1 || !partition.nested || frame.p() < 1) return false;
  const RandomEffectTerm& t = frame.random[0];
  if (t.q() > kernels::kMaxClusterQ || frame.p() + 1 > kernels::kMaxClusterW) return false;
  if (t.structure == CovStructure::kCompoundSymmetry && t.q() > 1 && !t.homogeneous) return false;
  for (int64_t c = 0; c < partition.clusters; ++c)
    if (partition.block_start[static_cast<size_t>(c) + 1] -
                partition.block_start[static_cast<size_t>(c)] !=
            1 ||
        partition.size[static_cast<size_t>(c)] != t.q())
      return false;
  const std::vector<VarianceParameter> params =
      CovarianceBasis(frame, {Eigen::MatrixXd::Identity(t.q(), t.q())}, 1.0);
  return static_cast<int>(params.size()) - 1 <= kernels::kMaxVarianceParams;
}

VariancePieces ComputeVariancePiecesClusterMath(const ModelFrame& frame,
                                                const ClusterPartition& partition,
                                                const ThetaLayout& layout,
                                                std::span<const double> theta, double sigma2,
                                                const Eigen::VectorXd& beta, int threads) {
  if (!ClusterMathApplies(frame, partition))
    throw Error(ErrorKind::kInternal, "DDF: the cluster-math engine needs a one-term model");
  Prepared pr = Prepare(frame, layout, theta, sigma2, beta);
  const ClusterMathInput in = BuildClusterMathInput(frame, partition, pr, threads);
  const auto n = static_cast<size_t>(in.clusters);
  const int np = kernels::VarianceMatrixPieces(in.nr), ns = kernels::VarianceScalars(in.nr);
  VarianceWorkspace ws(in.clusters, in.q, in.w, in.nr);
  const kernels::VarianceClusterView& v = ws.view;
  const int w = in.w;
  std::vector<double> pieces(static_cast<size_t>(np) * w * w, 0.0), scalars(ns, 0.0), part(np);
  for (int64_t c = 0; c < in.clusters; ++c) {
    kernels::ClusterRowsFactor(v, c, in.rows.data(), in.row_start[static_cast<size_t>(c)],
                               in.row_start[static_cast<size_t>(c) + 1]);
    kernels::ClusterVarianceFactors(v, c, in.lambda.data(), in.patterns.data());
    for (int e = 0; e < ns; ++e) scalars[e] += ws.scal[static_cast<size_t>(e) * n + c];
    for (int b = 0; b < w; ++b)
      for (int a = 0; a < w; ++a) {
        kernels::ClusterVarianceEntries(v, c, in.patterns.data(), a, b, 0, np, part.data());
        for (int e = 0; e < np; ++e) pieces[static_cast<size_t>(e) * w * w + a + b * w] += part[e];
      }
  }
  return FromClusterMath(in, pieces, scalars, pr, frame.n());
}

bool ComputeVariancePiecesOnGpu(const ModelFrame& frame, const ClusterPartition& partition,
                                const ThetaLayout& layout, std::span<const double> theta,
                                double sigma2, const Eigen::VectorXd& beta, int threads,
                                VariancePieces* out, std::string* reason) {
#if LMM_HAVE_CUDA
  if (!ClusterMathApplies(frame, partition)) {
    *reason = "not a one-term model within the kernels' limits";
    return false;
  }
  Prepared pr = Prepare(frame, layout, theta, sigma2, beta);
  ClusterMathInput in = BuildClusterMathInput(frame, partition, pr, threads);
  gpu::GpuVarianceInput g;
  g.clusters = in.clusters;
  g.q = in.q;
  g.w = in.w;
  g.nr = in.nr;
  g.lambda = std::move(in.lambda);
  g.patterns = std::move(in.patterns);
  g.rows = std::move(in.rows);
  g.row_start = std::move(in.row_start);
  gpu::GpuVarianceSums sums;
  const Status st = gpu::ComputeGpuVarianceSums(g, &sums);
  if (!st.ok()) {
    *reason = st.ToString();
    return false;
  }
  *out = FromClusterMath(in, sums.pieces, sums.scalars, pr, frame.n());
  return true;
#else
  (void)frame, (void)partition, (void)layout, (void)theta, (void)sigma2, (void)beta, (void)threads,
      (void)out;
  *reason = "this build has no CUDA backend";
  return false;
#endif
}

}  // namespace lmm::inference::ddf
