#include "inference/ddf/variance_pieces.h"

#include <algorithm>

#include "inference/ddf/variance_sums.h"
#include "io/parallel_for.h"
#include "lmm/error.h"

namespace lmm::inference::ddf {

using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace internal {

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

}  // namespace internal

namespace {

using internal::Sums;

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

}  // namespace

VariancePieces ComputeVariancePieces(const ModelFrame& frame, const ClusterPartition& partition,
                                     const ThetaLayout& layout, std::span<const double> theta,
                                     double sigma2, const Eigen::VectorXd& beta, int threads) {
  const int p1 = frame.p() + 1;
  internal::Prepared pr = internal::Prepare(frame, layout, theta, sigma2, beta);
  const int m = pr.out.m();

  // Clusters in contiguous chunks, one accumulator per chunk.
  const int workers =
      std::max(1, std::min<int>(io::ResolveThreads(threads),
                                static_cast<int>(std::min<int64_t>(partition.clusters, 64))));
  std::vector<internal::Sums> partial(static_cast<size_t>(workers), Sums(m, p1));
  const ClusterWork work(frame, partition, pr.out.params, pr.lambda, pr.xe);
  io::ParallelFor(static_cast<size_t>(workers), workers, [&](size_t w) {
    const int64_t c0 = partition.clusters * static_cast<int64_t>(w) / workers;
    const int64_t c1 = partition.clusters * static_cast<int64_t>(w + 1) / workers;
    for (int64_t c = c0; c < c1; ++c) work.Run(c, partial[w]);
  });
  internal::Sums s(m, p1);
  for (const internal::Sums& part : partial) s.Add(part);
  return internal::Finish(s, pr, frame.n());
}

}  // namespace lmm::inference::ddf
