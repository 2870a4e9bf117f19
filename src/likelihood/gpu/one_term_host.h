// Host side of the one-term GPU evaluator: the reference implementation of the kernels' cluster
// pass (the same cluster_math.h functions, summed in cluster order) and the small dense finish
// that both the GPU evaluator and the CPU tests run on the reduced sums.
//
// Finish [Bates et al. 2015, sec. 3; DESIGN.md sec. 2]: S = [X y]'[X y] - sum_c P_c P_c' (w x w)
// is the Schur complement of the random-effect block, S = L_S L_S' with L_S = [R_X' 0; r_Xy' r];
// log|R_X|^2 = 2 sum log L_S(i, i) (i < p), pwrss = r^2, R_X beta = r_Xy.
#pragma once

#include <Eigen/Dense>
#include <cmath>
#include <cstdint>
#include <vector>

#include "cluster_math.h"
#include "likelihood/cpu/cross_products.h"
#include "likelihood/status.h"

namespace lmm::gpu {

// What one cluster pass reduces: sum of 2 log det L_c, sum of P_c P_c' (packed lower triangle,
// kernels::PackedIndex), and the first cluster whose block could not be factored (or -1).
struct ClusterReduction {
  double logdet = 0;
  std::vector<double> downdate;
  int64_t first_failed = -1;
};

// Clusters [begin, end) of `v` (host memory) at Lambda = `lambda` (q x q column-major).
inline ClusterReduction HostClusterPass(const kernels::ClusterView& v, const double* lambda,
                                        int64_t begin, int64_t end) {
  using namespace kernels;
  const int q = v.q, w = v.w;
  ClusterReduction r;
  r.downdate.assign(PackedSize(w), 0.0);
  double d[kMaxClusterQ * kMaxClusterQ], l[kMaxClusterQ * kMaxClusterQ];
  double panel[kMaxClusterW * kMaxClusterQ];
  for (int64_t c = begin; c < end; ++c) {
    LoadCluster(v, c, d, panel);
    double logdet = 0;
    if (!EliminateCluster(q, w, lambda, d, l, panel, &logdet)) {
      if (r.first_failed < 0) r.first_failed = c;
      continue;
    }
    r.logdet += logdet;
    for (int i = 0; i < w; ++i)
      for (int j = 0; j <= i; ++j)
        r.downdate[PackedIndex(i, j)] += DowndateEntry(q, w, panel, i, j);
  }
  return r;
}

// The reduction that the kernels leave as ReducedEntries(w) numbers (`entries`: the packed
// downdate, then the log-determinant) and a first failed cluster (or -1).
inline void UnpackReduction(const double* entries, int count, int64_t first_failed,
                            ClusterReduction* r) {
  r->downdate.assign(entries, entries + count - 1);
  r->logdet = entries[count - 1];
  r->first_failed = first_failed;
}

// a += b (reductions of disjoint shards of clusters).
inline void AddReduction(ClusterReduction& a, const ClusterReduction& b) {
  a.logdet += b.logdet;
  for (size_t e = 0; e < a.downdate.size(); ++e) a.downdate[e] += b.downdate[e];
  if (b.first_failed >= 0 && (a.first_failed < 0 || b.first_failed < a.first_failed))
    a.first_failed = b.first_failed;
}

struct OneTermSolution {
  double logdet_l = 0, logdet_rx = 0, pwrss = 0;
  Eigen::MatrixXd s;              // w x w: L_S (lower)
  Eigen::VectorXd beta_centered;  // beta of the centered X (cp.centering)
  Eigen::VectorXd beta;           // beta of the original X
  Eigen::MatrixXd rx;             // R_X of the original X (upper)
};

// From out->s = L_S, the lower Cholesky factor of the trailing (p+1) x (p+1) block of the
// Schur complement ([X y] rows, X centered as cp.centering says): logdet_rx, pwrss, beta (centered
// and original basis) and R_X of the original X. Shared by the one-term and multi-term finishes.
inline void SolveFromTrailingFactor(const cpu::CrossProducts& cp, OneTermSolution* out) {
  const int p = cp.p;
  const Eigen::MatrixXd& s = out->s;
  out->logdet_rx = 0;
  for (int i = 0; i < p; ++i) out->logdet_rx += 2.0 * std::log(s(i, i));
  out->pwrss = s(p, p) * s(p, p);
  // R_X = L_S(X, X)', r_Xy = L_S(y, X)'; then map back from the centered basis X_c = X M (as
  // CpuEvaluator::Update): beta = M beta_c (+ y shift on the intercept), R_X = R_Xc M^{-1}.
  Eigen::VectorXd& bc = out->beta_centered;
  bc.resize(p);
  for (int i = p - 1; i >= 0; --i) {
    double v = s(p, i);
    for (int k = i + 1; k < p; ++k) v -= s(k, i) * bc(k);
    bc(i) = v / s(i, i);
  }
  out->beta = bc;
  out->rx.resize(p, p);
  for (int i = 0; i < p; ++i)
    for (int j = 0; j < p; ++j) out->rx(i, j) = j >= i ? s(j, i) : 0.0;
  const cpu::CenteringInfo& cen = cp.centering;
  if (cen.centered) {
    out->beta(0) += (cen.y_shift - cen.x_shift.dot(out->beta)) / cen.intercept;
    for (int j = 1; j < p; ++j) out->rx(0, j) += out->rx(0, 0) * cen.x_shift(j) / cen.intercept;
  }
}

// The dense finish from a whole-model reduction; cp supplies [X y]'[X y] (cp.a) and the
// centering. A failed cluster or a dense block that is not positive definite is a status.
inline Status FinishOneTerm(const cpu::CrossProducts& cp, const ClusterReduction& r,
                            OneTermSolution* out) {
  using kernels::PackedIndex;
  if (r.first_failed >= 0)
    return Status::Error(Status::Code::kNotPositiveDefinite,
                         "evaluator: level block of the random-effect term is not positive "
                         "definite",
                         r.first_failed);
  const int p = cp.p, w = p + 1;
  Eigen::MatrixXd& s = out->s;
  s.resize(w, w);
  for (int j = 0; j < w; ++j)
    for (int i = 0; i < w; ++i) s(i, j) = i >= j ? cp.a(i, j) - r.downdate[PackedIndex(i, j)] : 0.0;
  Eigen::LLT<Eigen::MatrixXd> llt(s);
  if (llt.info() != Eigen::Success)
    return Status::Error(Status::Code::kNotPositiveDefinite,
                         "evaluator: dense block of the factor is not positive definite");
  s = llt.matrixL();
  out->logdet_l = r.logdet;
  SolveFromTrailingFactor(cp, out);
  return Status::Ok();
}

}  // namespace lmm::gpu
