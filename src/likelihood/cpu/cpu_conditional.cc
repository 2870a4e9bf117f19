// Conditional modes and variances of the random effects from the CPU blocked factor.
//
// With L = [L_00 0; L_r0 L_rr] the factor of Lambda'Z'Z Lambda + I (L_00 block diagonal with
// blocks L_c, L_r0's column block c the term rows of P_c, L_rr the term rows of L_S), the modes
// solve L' u = l_yZ' - L_XZ' beta [Bates et al. 2015, eq. 20], and (L L')^{-1}'s diagonal blocks
// are, for level c of term 0, L_c^{-T} L_c^{-1} + W_c' W_c with W_c = L_rr^{-1} L_r0[:, c]
// L_c^{-1}, and for a rest term the column blocks of L_rr^{-1}: (L_rr^{-1}[:, J])' L_rr^{-1}[:, J].
#include <Eigen/Dense>

#include "likelihood/cpu/cpu_evaluator.h"

namespace lmm {

void CpuEvaluator::CenteredBeta(Eigen::VectorXd& beta) const {
  for (int i = p_ - 1; i >= 0; --i) {
    double v = tail_(p_, i);
    for (int k = i + 1; k < p_; ++k) v -= tail_(k, i) * beta(k);
    beta(i) = v / tail_(i, i);
  }
}

void CpuEvaluator::SolveModes(Eigen::VectorXd& u0, Eigen::VectorXd& ur) const {
  const int64_t mt = cp_.mt;
  const int q0 = cp_.q0;
  const int w = p_ + 1;
  Eigen::VectorXd beta_c(p_);
  CenteredBeta(beta_c);
  const Eigen::MatrixXd& ls = RestFactor();
  ur.resize(mt);
  if (mt > 0) {
    Eigen::VectorXd c = ls.row(cp_.m - 1).head(mt).transpose();
    if (p_ > 0) c -= ls.block(mt, 0, p_, mt).transpose() * beta_c;
    ur = ls.topLeftCorner(mt, mt).transpose().triangularView<Eigen::Upper>().solve(c);
  }
  u0.resize(cp_.l0 * q0);
  for (int64_t lev = 0; lev < cp_.l0; ++lev) {
    const int64_t mc = cp_.panel_rows(lev);
    Eigen::Map<const Eigen::MatrixXd> pc(panels_.data() + cp_.panel_off[lev], mc, q0);
    const int32_t* idx = cp_.row_index.data() + cp_.row_off[lev];
    Eigen::VectorXd c = pc.row(mc - 1).transpose();
    if (p_ > 0) c -= pc.middleRows(mc - w, p_).transpose() * beta_c;
    for (int64_t i = 0; i < mc - w; ++i) c -= pc.row(i).transpose() * ur(idx[i]);
    Eigen::Map<const Eigen::MatrixXd> l(lfac_.data() + lev * q0 * q0, q0, q0);
    u0.segment(lev * q0, q0) = l.transpose().triangularView<Eigen::Upper>().solve(c);
  }
}

Eigen::MatrixXd CpuEvaluator::AssembleFactor() const {
  const int q0 = cp_.q0;
  const int64_t z0 = cp_.l0 * q0;
  Eigen::MatrixXd l = Eigen::MatrixXd::Zero(z0 + cp_.m, z0 + cp_.m);
  for (int64_t c = 0; c < cp_.l0; ++c) {
    l.block(c * q0, c * q0, q0, q0) = LevelFactor(c);
    const int64_t mc = cp_.panel_rows(c);
    Eigen::Map<const Eigen::MatrixXd> pc(panels_.data() + cp_.panel_off[c], mc, q0);
    const int32_t* idx = cp_.row_index.data() + cp_.row_off[c];
    for (int64_t i = 0; i < mc; ++i) l.block(z0 + idx[i], c * q0, 1, q0) = pc.row(i);
  }
  l.bottomRightCorner(cp_.m, cp_.m) = RestFactor().triangularView<Eigen::Lower>();
  return l;
}

Eigen::MatrixXd CpuEvaluator::ConditionalModes(int t) const {
  Eigen::VectorXd u0, ur;
  SolveModes(u0, ur);
  if (t == cp_.term0) {
    const int q0 = cp_.q0;
    Eigen::Map<const Eigen::MatrixXd> lambda(lambda0_.data(), q0, q0);
    Eigen::Map<const Eigen::MatrixXd> u(u0.data(), q0, cp_.l0);
    return (lambda * u).transpose();
  }
  for (size_t b = 0; b < cp_.rest.size(); ++b) {
    const cpu::RestBlock& rb = cp_.rest[b];
    if (rb.term != t) continue;
    Eigen::Map<const Eigen::MatrixXd> lambda(lambda_r_[b].data(), rb.q, rb.q);
    Eigen::Map<const Eigen::MatrixXd> u(ur.data() + rb.offset, rb.q, rb.levels);
    return (lambda * u).transpose();
  }
  return Eigen::MatrixXd();
}

Eigen::MatrixXd CpuEvaluator::ConditionalVariances(int t, double sigma2) const {
  const int64_t mt = cp_.mt;
  const int w = p_ + 1;
  Eigen::MatrixXd linv;
  if (mt > 0)
    linv = RestFactor().topLeftCorner(mt, mt).triangularView<Eigen::Lower>().solve(
        Eigen::MatrixXd::Identity(mt, mt));
  if (t == cp_.term0) {
    const int q0 = cp_.q0;
    Eigen::Map<const Eigen::MatrixXd> lambda(lambda0_.data(), q0, q0);
    Eigen::MatrixXd out(cp_.l0, q0 * q0);
    for (int64_t lev = 0; lev < cp_.l0; ++lev) {
      Eigen::Map<const Eigen::MatrixXd> l(lfac_.data() + lev * q0 * q0, q0, q0);
      const Eigen::MatrixXd lcinv =
          l.triangularView<Eigen::Lower>().solve(Eigen::MatrixXd::Identity(q0, q0));
      Eigen::MatrixXd v = lcinv.transpose() * lcinv;
      const int64_t mc = cp_.panel_rows(lev);
      if (mt > 0 && mc > w) {
        Eigen::Map<const Eigen::MatrixXd> pc(panels_.data() + cp_.panel_off[lev], mc, q0);
        const int32_t* idx = cp_.row_index.data() + cp_.row_off[lev];
        const Eigen::MatrixXd g = pc.topRows(mc - w) * lcinv;
        Eigen::MatrixXd wc = Eigen::MatrixXd::Zero(mt, q0);
        for (int64_t i = 0; i < mc - w; ++i) wc += linv.col(idx[i]) * g.row(i);
        v += wc.transpose() * wc;
      }
      const Eigen::MatrixXd b = sigma2 * lambda * v * lambda.transpose();
      out.row(lev) = Eigen::Map<const Eigen::RowVectorXd>(b.data(), q0 * q0);
    }
    return out;
  }
  for (size_t bl = 0; bl < cp_.rest.size(); ++bl) {
    const cpu::RestBlock& rb = cp_.rest[bl];
    if (rb.term != t) continue;
    Eigen::Map<const Eigen::MatrixXd> lambda(lambda_r_[bl].data(), rb.q, rb.q);
    Eigen::MatrixXd out(rb.levels, rb.q * rb.q);
    for (int64_t lev = 0; lev < rb.levels; ++lev) {
      const Eigen::MatrixXd cols = linv.middleCols(rb.offset + lev * rb.q, rb.q);
      const Eigen::MatrixXd v = cols.transpose() * cols;
      const Eigen::MatrixXd b = sigma2 * lambda * v * lambda.transpose();
      out.row(lev) = Eigen::Map<const Eigen::RowVectorXd>(b.data(), rb.q * rb.q);
    }
    return out;
  }
  return Eigen::MatrixXd();
}

}  // namespace lmm
