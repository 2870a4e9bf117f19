#include "inference/ddf/variance_pieces.h"

#include <algorithm>

#include "inference/ddf/variance_workspace.h"
#include "io/parallel_for.h"
#include "lmm/error.h"
#include "variance_math.h"

#if LMM_HAVE_CUDA
#include "likelihood/gpu/gpu_variance_pieces.h"
#endif

namespace lmm::inference::ddf {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

// Sums over clusters in relative units (V_r = V / sigma^2 = I + Z Lambda Lambda' Z'), with
// Xe = [X e0] (p1 = p + 1 columns), U = V_r^{-1}Xe = Xe - Z M Z'Xe and U2 = V_r^{-1}U computed row
// by row (so that V^{-2} and V^{-3} forms are sums of products, not differences of differences),
// B = Z'U, B2 = Z'U2 of a cluster.
struct Sums {
  MatrixXd xvx, xv2x, xv3x;  // sum Xe'U, U'U, U'U2
  double tr_ms = 0, tr_msms = 0;
  std::vector<MatrixXd> pt;  // random k: sum B'E_k B
  std::vector<MatrixXd> qt;  // random k, j >= k: [k * m + j] sum B'E_k K E_j B (j = m-1: B'E_k B2)
  MatrixXd t;                // random k, j >= k: tr(E_k K E_j K); j = m-1: tr(E_k K2)
  VectorXd tr_vg;            // random k: tr(E_k K)

  Sums(int m, int p1)
      : xvx(MatrixXd::Zero(p1, p1)),
        xv2x(xvx),
        xv3x(xvx),
        pt(static_cast<size_t>(m), xvx),
        qt(static_cast<size_t>(m * m), xvx),
        t(MatrixXd::Zero(m, m)),
        tr_vg(VectorXd::Zero(m)) {}

  void Add(const Sums& o) {
    xvx += o.xvx;
    xv2x += o.xv2x;
    xv3x += o.xv3x;
    tr_ms += o.tr_ms;
    tr_msms += o.tr_msms;
    for (size_t i = 0; i < pt.size(); ++i) pt[i] += o.pt[i];
    for (size_t i = 0; i < qt.size(); ++i) qt[i] += o.qt[i];
    t += o.t;
    tr_vg += o.tr_vg;
  }
};

class ClusterWork {
 public:
  ClusterWork(const ModelFrame& frame, const ClusterPartition& part,
              const std::vector<VarianceParameter>& params, const std::vector<MatrixXd>& lambda,
              const MatrixXd& xe)
      : frame_(frame), part_(part), params_(params), lambda_(lambda), xe_(xe) {}

  void Run(int64_t c, Sums& s) const {
    const int qc = part_.size[static_cast<size_t>(c)];
    const int m = static_cast<int>(params_.size());
    const int64_t b0 = part_.block_start[static_cast<size_t>(c)];
    const int64_t b1 = part_.block_start[static_cast<size_t>(c) + 1];

    MatrixXd z_t_z, r;
    ClusterCrossProducts(frame_, part_, c, xe_, &z_t_z, &r);
    // A = Lambda'Z'Z Lambda + I and M = Lambda A^{-1} Lambda' with Lambda applied block by block
    // (it is block diagonal), so the dense work is one Cholesky, its inverse and two products.
    MatrixXd a_mat = LambdaTimes(LambdaTimes(z_t_z, b0, b1, /*right=*/true, /*transpose=*/false),
                                 b0, b1, /*right=*/false, /*transpose=*/true);
    a_mat.diagonal().array() += 1.0;
    const Eigen::LLT<MatrixXd> llt(a_mat);
    if (llt.info() != Eigen::Success)
      throw Error(ErrorKind::kNumerical, "DDF: Lambda'Z'Z Lambda + I is not positive definite");
    const MatrixXd a_inv = llt.solve(MatrixXd::Identity(qc, qc));
    const MatrixXd mm =
        LambdaTimes(LambdaTimes(a_inv, b0, b1, /*right=*/false, /*transpose=*/false), b0, b1,
                    /*right=*/true, /*transpose=*/true);
    const MatrixXd ms = mm * z_t_z, mr = mm * r;
    const MatrixXd kk = z_t_z - z_t_z * ms;  // Z'V_r^{-1}Z
    const int64_t r0 = part_.row_start[static_cast<size_t>(c)];
    const int64_t r1 = part_.row_start[static_cast<size_t>(c) + 1];
    MatrixXd u(r1 - r0, xe_.cols());
    MatrixXd bb = MatrixXd::Zero(qc, xe_.cols());  // Z'V_r^{-1}Xe
    std::vector<int> idx;
    std::vector<double> val;
    for (int64_t k = r0; k < r1; ++k) {
      const int64_t i = part_.rows[static_cast<size_t>(k)];
      RowEffects(frame_, part_, i, &idx, &val);
      auto ui = u.row(k - r0);
      ui = xe_.row(i);
      for (size_t a = 0; a < idx.size(); ++a) ui -= val[a] * mr.row(idx[a]);
      for (size_t a = 0; a < idx.size(); ++a) bb.row(idx[a]) += val[a] * ui;
    }
    const MatrixXd mb = mm * bb;
    MatrixXd b2 = MatrixXd::Zero(qc, xe_.cols());  // Z'V_r^{-2}Xe
    for (int64_t k = r0; k < r1; ++k) {
      const int64_t i = part_.rows[static_cast<size_t>(k)];
      RowEffects(frame_, part_, i, &idx, &val);
      Eigen::RowVectorXd u2 = u.row(k - r0);
      for (size_t a = 0; a < idx.size(); ++a) u2 -= val[a] * mb.row(idx[a]);
      for (size_t a = 0; a < idx.size(); ++a) b2.row(idx[a]) += val[a] * u2;
      s.xvx.noalias() += xe_.row(i).transpose() * u.row(k - r0);
      s.xv2x.noalias() += u.row(k - r0).transpose() * u.row(k - r0);
      s.xv3x.noalias() += u.row(k - r0).transpose() * u2;
    }
    s.tr_ms += ms.trace();
    s.tr_msms += ms.cwiseProduct(ms.transpose()).sum();

    const int res = m - 1;
    std::vector<MatrixXd> eb(static_cast<size_t>(res)), keb(static_cast<size_t>(res));
    std::vector<bool> active(static_cast<size_t>(res), false);
    for (int k = 0; k < res; ++k) {
      for (int64_t b = b0; b < b1; ++b)
        active[k] = active[k] || part_.blocks[b].term == params_[k].term;
      if (!active[k]) continue;
      eb[k] = ApplyE(k, bb, b0, b1);
      keb[k] = kk * eb[k];
      s.pt[k].noalias() += bb.transpose() * eb[k];
      s.tr_vg(k) += TraceE(k, kk, b0, b1);
      s.t(k, res) += TraceEK2(k, kk, ms, b0, b1);
      s.qt[static_cast<size_t>(k * m + res)].noalias() += eb[k].transpose() * b2;
    }
    for (int k = 0; k < res; ++k) {
      if (!active[k]) continue;
      for (int j = k; j < res; ++j) {
        if (!active[j]) continue;
        s.t(k, j) += TraceEKEK(k, j, kk, b0, b1);
        s.qt[static_cast<size_t>(k * m + j)].noalias() += eb[k].transpose() * keb[j];
      }
    }
  }

 private:
  // E_k (block diagonal over term t(k)'s levels in the cluster) times `in`.
  MatrixXd ApplyE(int k, const MatrixXd& in, int64_t b0, int64_t b1) const {
    MatrixXd out = MatrixXd::Zero(in.rows(), in.cols());
    const MatrixXd& e = params_[k].e;
    for (int64_t b = b0; b < b1; ++b) {
      const ClusterPartition::Block& bl = part_.blocks[static_cast<size_t>(b)];
      if (bl.term != params_[k].term) continue;
      out.middleRows(bl.local, e.rows()).noalias() = e * in.middleRows(bl.local, e.rows());
    }
    return out;
  }
  // L X (right = false) or X L (right = true), L = Lambda, or Lambda' when transpose.
  MatrixXd LambdaTimes(const MatrixXd& x, int64_t b0, int64_t b1, bool right,
                       bool transpose) const {
    MatrixXd out = x;
    for (int64_t b = b0; b < b1; ++b) {
      const ClusterPartition::Block& bl = part_.blocks[static_cast<size_t>(b)];
      const MatrixXd& l = lambda_[static_cast<size_t>(bl.term)];
      const auto qb = l.rows();
      if (right)
        out.middleCols(bl.local, qb) = transpose
                                           ? MatrixXd(x.middleCols(bl.local, qb) * l.transpose())
                                           : MatrixXd(x.middleCols(bl.local, qb) * l);
      else
        out.middleRows(bl.local, qb) = transpose
                                           ? MatrixXd(l.transpose() * x.middleRows(bl.local, qb))
                                           : MatrixXd(l * x.middleRows(bl.local, qb));
    }
    return out;
  }
  // tr(E_k K2) with K2 = Z'V_r^{-2}Z = K - K M S, from its diagonal blocks only.
  double TraceEK2(int k, const MatrixXd& kk, const MatrixXd& ms, int64_t b0, int64_t b1) const {
    const MatrixXd& e = params_[k].e;
    double sum = 0;
    for (int64_t b = b0; b < b1; ++b) {
      const ClusterPartition::Block& bl = part_.blocks[static_cast<size_t>(b)];
      if (bl.term != params_[k].term) continue;
      const auto qb = e.rows();
      const MatrixXd k2 = kk.block(bl.local, bl.local, qb, qb) -
                          kk.middleRows(bl.local, qb) * ms.middleCols(bl.local, qb);
      sum += e.cwiseProduct(k2).sum();
    }
    return sum;
  }
  // tr(E_k X) for symmetric X.
  double TraceE(int k, const MatrixXd& x, int64_t b0, int64_t b1) const {
    const MatrixXd& e = params_[k].e;
    double sum = 0;
    for (int64_t b = b0; b < b1; ++b) {
      const ClusterPartition::Block& bl = part_.blocks[static_cast<size_t>(b)];
      if (bl.term != params_[k].term) continue;
      sum += e.cwiseProduct(x.block(bl.local, bl.local, e.rows(), e.cols())).sum();
    }
    return sum;
  }
  // tr(E_k K E_j K) = sum over blocks a of t(k), b of t(j) of tr(E_k K_ab E_j K_ba).
  double TraceEKEK(int k, int j, const MatrixXd& kk, int64_t b0, int64_t b1) const {
    const MatrixXd& ek = params_[k].e;
    const MatrixXd& ej = params_[j].e;
    double sum = 0;
    for (int64_t a = b0; a < b1; ++a) {
      const ClusterPartition::Block& ba = part_.blocks[static_cast<size_t>(a)];
      if (ba.term != params_[k].term) continue;
      for (int64_t b = b0; b < b1; ++b) {
        const ClusterPartition::Block& bb = part_.blocks[static_cast<size_t>(b)];
        if (bb.term != params_[j].term) continue;
        const auto kab = kk.block(ba.local, bb.local, ek.rows(), ej.rows());
        if (ek.size() == 1 && ej.size() == 1) {
          sum += ek(0, 0) * ej(0, 0) * kab(0, 0) * kab(0, 0);
        } else {
          const MatrixXd x = ek * kab;              // E_k K_ab
          const MatrixXd y = ej * kab.transpose();  // E_j K_ba
          sum += x.cwiseProduct(y.transpose()).sum();
        }
      }
    }
    return sum;
  }

  const ModelFrame& frame_;
  const ClusterPartition& part_;
  const std::vector<VarianceParameter>& params_;
  const std::vector<MatrixXd>& lambda_;
  const MatrixXd& xe_;
};

// Lambda per term, the parameters and [X e0] with the GLS beta it was formed from.
struct Prepared {
  std::vector<MatrixXd> lambda;
  VariancePieces out;  // params and sigma2
  MatrixXd xe;
  VectorXd beta_in;
};

Prepared Prepare(const ModelFrame& frame, const ThetaLayout& layout, std::span<const double> theta,
                 double sigma2, const VectorXd& beta) {
  const int p = frame.p();
  const int64_t n = frame.n();
  Prepared pr;
  std::vector<MatrixXd> sigma;
  for (int t = 0; t < static_cast<int>(frame.random.size()); ++t) {
    pr.lambda.push_back(layout.term(t).Lambda(layout.TermTheta(theta, t)));
    sigma.push_back(sigma2 * pr.lambda.back() * pr.lambda.back().transpose());
  }
  pr.out.params = CovarianceBasis(frame, sigma, sigma2);
  pr.out.sigma2 = sigma2;
  pr.xe.resize(n, p + 1);
  pr.xe.leftCols(p) = frame.x;
  pr.xe.col(p) = frame.y - frame.x * beta;
  // A beta on another scale of the intercept (a response offset) leaves a constant in e0 that the
  // refinement would remove with cancellation: take it out first when X has a column of ones.
  pr.beta_in = beta;
  for (int j = 0; j < p && n > 0; ++j)
    if ((frame.x.col(j).array() == 1.0).all()) {
      const double shift = pr.xe.col(p).mean();
      pr.beta_in(j) += shift;
      pr.xe.col(p).array() -= shift;
      break;
    }
  return pr;
}

// From the cluster sums (random parameters' entries filled for k <= j) to the pieces.
VariancePieces Finish(Sums& s, Prepared& pr, int64_t n) {
  VariancePieces out = std::move(pr.out);
  const int p = static_cast<int>(pr.xe.cols()) - 1;
  const int p1 = p + 1;
  const int m = out.m();
  const int res = m - 1;
  const double sigma2 = out.sigma2;

  const MatrixXd xvx = 0.5 * (s.xvx + s.xvx.transpose());
  const MatrixXd xv2x = s.xv2x;
  const MatrixXd xv3x = 0.5 * (s.xv3x + s.xv3x.transpose());
  const double nn = static_cast<double>(n);
  s.pt[res] = xv2x;
  s.qt[static_cast<size_t>(res * m + res)] = xv3x;
  s.t(res, res) = nn - 2 * s.tr_ms + s.tr_msms;
  s.tr_vg(res) = nn - s.tr_ms;
  for (int k = 0; k < m; ++k)
    for (int j = k + 1; j < m; ++j) {
      s.t(j, k) = s.t(k, j);
      s.qt[static_cast<size_t>(j * m + k)] = s.qt[static_cast<size_t>(k * m + j)].transpose();
    }

  // One refinement step of beta from the residuals: e = e0 - X delta = Xe w, w = (-delta, 1).
  const Eigen::LDLT<MatrixXd> xvx_ldlt(xvx.topLeftCorner(p, p));
  const MatrixXd c_rel = xvx_ldlt.solve(MatrixXd::Identity(p, p));
  const VectorXd delta = c_rel * xvx.topRightCorner(p, 1);
  VectorXd w(p1);
  w.head(p) = -delta;
  w(p) = 1;
  out.beta = pr.beta_in + delta;

  const double s2 = sigma2, s4 = s2 * s2, s6 = s4 * s2;
  out.cov_beta = s2 * c_rel;
  out.p.resize(static_cast<size_t>(m));
  out.q.resize(static_cast<size_t>(m * m));
  std::vector<VectorXd> pe(static_cast<size_t>(m));
  VectorXd pee(m);
  for (int k = 0; k < m; ++k) {
    out.p[k] = s.pt[k].topLeftCorner(p, p) / s4;
    pe[k] = s.pt[k].topRows(p) * w;
    pee(k) = w.dot(s.pt[k] * w);
  }
  out.trace_vgvg = s.t / s4;
  out.trace_pgpg.resize(m, m);
  MatrixXd ypgpgpy(m, m);
  for (int k = 0; k < m; ++k)
    for (int j = 0; j < m; ++j) {
      const MatrixXd& qkj = s.qt[static_cast<size_t>(k * m + j)];
      out.q[static_cast<size_t>(k * m + j)] = qkj.topLeftCorner(p, p) / s6;
      const MatrixXd cpk = out.cov_beta * out.p[k], cpj = out.cov_beta * out.p[j];
      out.trace_pgpg(k, j) = out.trace_vgvg(k, j) -
                             2 * (out.cov_beta * out.q[static_cast<size_t>(k * m + j)]).trace() +
                             cpk.cwiseProduct(cpj.transpose()).sum();
      ypgpgpy(k, j) = (w.dot(qkj * w) - pe[k].dot(c_rel * pe[j])) / s6;
    }
  out.expected_information = 0.5 * out.trace_pgpg;
  out.observed_information = -0.5 * out.trace_pgpg + 0.5 * (ypgpgpy + ypgpgpy.transpose());
  out.score.resize(m);
  for (int k = 0; k < m; ++k)
    out.score(k) = 0.5 * (pee(k) / s4 - (s.tr_vg(k) / s2 - (out.cov_beta * out.p[k]).trace()));
  return out;
}

}  // namespace

VariancePieces ComputeVariancePieces(const ModelFrame& frame, const ClusterPartition& partition,
                                     const ThetaLayout& layout, std::span<const double> theta,
                                     double sigma2, const Eigen::VectorXd& beta, int threads) {
  const int p1 = frame.p() + 1;
  Prepared pr = Prepare(frame, layout, theta, sigma2, beta);
  const int m = pr.out.m();

  // Clusters in contiguous chunks, one accumulator per chunk.
  const int workers =
      std::max(1, std::min<int>(io::ResolveThreads(threads),
                                static_cast<int>(std::min<int64_t>(partition.clusters, 64))));
  std::vector<Sums> partial(static_cast<size_t>(workers), Sums(m, p1));
  const ClusterWork work(frame, partition, pr.out.params, pr.lambda, pr.xe);
  io::ParallelFor(static_cast<size_t>(workers), workers, [&](size_t w) {
    const int64_t c0 = partition.clusters * static_cast<int64_t>(w) / workers;
    const int64_t c1 = partition.clusters * static_cast<int64_t>(w + 1) / workers;
    for (int64_t c = c0; c < c1; ++c) work.Run(c, partial[w]);
  });
  Sums s(m, p1);
  for (const Sums& part : partial) s.Add(part);
  return Finish(s, pr, frame.n());
}

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
  return Finish(s, pr, n);
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
