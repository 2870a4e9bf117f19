#include "likelihood/start_values.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lmm {
namespace {

// Relative standard deviations are started within these bounds (start_values.h).
constexpr double kMinStart = 0.1;
constexpr double kMaxStart = 10.0;
// Correlations are started within +-kMaxCorrelation and the correlation matrix kept positive
// definite (eigenvalues at least kMinCorrelationEigenvalue), so that Lambda's diagonal starts away
// from its bound 0.
constexpr double kMaxCorrelation = 0.9;
constexpr double kMinCorrelationEigenvalue = 0.05;
// A level's A_l counts as rank deficient when a pivot falls below this fraction of its largest
// diagonal entry; its rank then comes from the eigenvalues above the same fraction of the largest.
constexpr double kRankTolerance = 1e-10;

// Small matrices without heap allocation (q <= kMaxMomentColumns).
using Small =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, 0, kMaxMomentColumns, kMaxMomentColumns>;
using SmallVector = Eigen::Matrix<double, Eigen::Dynamic, 1, 0, kMaxMomentColumns, 1>;

bool IsRandomIntercept(const RandomEffectTerm& t, int64_t n) {
  if (t.q() != 1 || t.z.rows() != n || t.levels < 2) return false;
  return (t.z.col(0).array() == 1.0).all();
}

// y - X b with b by the normal equations (p is small; only a rough start is needed).
std::optional<Eigen::VectorXd> OlsResiduals(const ModelFrame& frame) {
  Eigen::VectorXd r = frame.y;
  if (frame.p() > 0) {
    const Eigen::LDLT<Eigen::MatrixXd> ldlt(frame.x.transpose() * frame.x);
    if (ldlt.info() != Eigen::Success) return std::nullopt;
    r -= frame.x * ldlt.solve(frame.x.transpose() * frame.y);
  }
  return r;
}

// Random intercepts only: one-way ANOVA of r on each grouping factor.
std::vector<double> InterceptMoments(const ModelFrame& frame, const ThetaLayout& layout,
                                     const Eigen::VectorXd& r, double total) {
  const int64_t n = frame.n();
  const double ss = r.squaredNorm();
  std::vector<double> variance(frame.random.size());
  double sum = 0;
  for (size_t k = 0; k < frame.random.size(); ++k) {
    const RandomEffectTerm& t = frame.random[k];
    const int64_t levels = t.levels;
    std::vector<double> s(levels, 0.0), c(levels, 0.0);
    for (int64_t i = 0; i < n; ++i) {
      s[t.level[i]] += r(i);
      c[t.level[i]] += 1;
    }
    double between = 0, sq_counts = 0, used = 0;
    for (int64_t l = 0; l < levels; ++l) {
      if (c[l] == 0) continue;
      between += s[l] * s[l] / c[l];
      sq_counts += c[l] * c[l];
      ++used;
    }
    if (used < 2 || n <= used) continue;
    const double mean = r.sum() / static_cast<double>(n);
    const double msb = (between - n * mean * mean) / (used - 1);
    const double msw = (ss - between) / static_cast<double>(n - used);
    const double n0 = (n - sq_counts / n) / (used - 1);
    variance[k] = std::max(0.0, (msb - msw) / n0);
    sum += variance[k];
  }
  const double residual = std::max(total - sum, 0.1 * total);
  std::vector<double> theta = layout.start();
  for (size_t k = 0; k < frame.random.size(); ++k)
    theta[layout.offset(static_cast<int>(k))] =
        std::clamp(std::sqrt(variance[k] / residual), kMinStart, kMaxStart);
  return theta;
}

// u'A^+u and rank(A) for one level's symmetric positive semidefinite q x q A (column-major):
// by a Cholesky factorization when every pivot exceeds kRankTolerance times A's largest diagonal
// entry, else from the eigenvalues above that fraction of the largest.
std::pair<double, int> QuadraticForm(const double* a, const double* u, int q) {
  double scale = 0;
  for (int j = 0; j < q; ++j) scale = std::max(scale, a[j + j * q]);
  if (!(scale > 0)) return {0.0, 0};
  double l[kMaxMomentColumns * kMaxMomentColumns];
  double w[kMaxMomentColumns];
  bool full_rank = true;
  for (int j = 0; j < q; ++j) {
    double d = a[j + j * q];
    for (int k = 0; k < j; ++k) d -= l[j + k * q] * l[j + k * q];
    if (!(d > kRankTolerance * scale)) {
      full_rank = false;
      break;
    }
    const double pivot = std::sqrt(d);
    l[j + j * q] = pivot;
    for (int i = j + 1; i < q; ++i) {
      double v = a[i + j * q];
      for (int k = 0; k < j; ++k) v -= l[i + k * q] * l[j + k * q];
      l[i + j * q] = v / pivot;
    }
    double v = u[j];
    for (int k = 0; k < j; ++k) v -= l[j + k * q] * w[k];
    w[j] = v / pivot;
  }
  if (full_rank) {
    double quad = 0;
    for (int j = 0; j < q; ++j) quad += w[j] * w[j];
    return {quad, q};
  }
  const Eigen::SelfAdjointEigenSolver<Small> eig(Small(Eigen::Map<const Eigen::MatrixXd>(a, q, q)));
  const SmallVector proj = eig.eigenvectors().transpose() * Eigen::Map<const Eigen::VectorXd>(u, q);
  const double cut = kRankTolerance * eig.eigenvalues().maxCoeff();
  double quad = 0;
  int rank = 0;
  for (int j = 0; j < q; ++j)
    if (eig.eigenvalues()(j) > cut) quad += proj(j) * proj(j) / eig.eigenvalues()(j), ++rank;
  return {quad, rank};
}

struct TermMoments {
  Eigen::MatrixXd sigma;  // q x q
  double within = 0;      // s_t^2
};

// Sigma_t and s_t^2 of term t (start_values.h), or nullopt when they cannot be estimated.
std::optional<TermMoments> EstimateTerm(const RandomEffectTerm& t, const Eigen::VectorXd& r) {
  const int q = t.q();
  const int qq = q * q;
  const int64_t n = r.size();
  std::vector<double> a(t.levels * qq, 0.0), u(t.levels * q, 0.0), s(t.levels, 0.0);
  const double* z = t.z.data();  // column-major, n x q
  for (int64_t i = 0; i < n; ++i) {
    const int64_t l = t.level[i];
    double* al = a.data() + l * qq;
    double* ul = u.data() + l * q;
    const double ri = r(i);
    for (int c = 0; c < q; ++c) {
      const double zc = z[i + c * n];
      ul[c] += zc * ri;
      for (int b = 0; b < q; ++b) al[b + c * q] += z[i + b * n] * zc;
    }
    s[l] += ri * ri;
  }
  Eigen::MatrixXd k = Eigen::MatrixXd::Zero(qq, qq);  // sum_l A_l (x) A_l
  Eigen::MatrixXd uu = Eigen::MatrixXd::Zero(q, q), a_sum = Eigen::MatrixXd::Zero(q, q);
  double within_ss = 0;
  int64_t rank_sum = 0;
  for (int64_t l = 0; l < t.levels; ++l) {
    const double* al = a.data() + l * qq;
    const double* ul = u.data() + l * q;
    const auto [quad, rank] = QuadraticForm(al, ul, q);
    if (rank == 0) continue;
    within_ss += std::max(0.0, s[l] - quad);
    rank_sum += rank;
    // K(b + e q, c + d q) += A(b, c) A(e, d): vec(A Sigma A) = (A (x) A) vec(Sigma).
    for (int d = 0; d < q; ++d)
      for (int c = 0; c < q; ++c)
        for (int e = 0; e < q; ++e) {
          const double aed = al[e + d * q];
          double* column = k.data() + (c + d * q) * qq + e * q;
          for (int b = 0; b < q; ++b) column[b] += al[b + c * q] * aed;
        }
    for (int c = 0; c < q; ++c)
      for (int b = 0; b < q; ++b) {
        uu(b, c) += ul[b] * ul[c];
        a_sum(b, c) += al[b + c * q];
      }
  }
  if (rank_sum >= n) return std::nullopt;
  TermMoments m;
  m.within = within_ss / static_cast<double>(n - rank_sum);
  if (!(m.within > 0) || !std::isfinite(m.within)) return std::nullopt;
  const Eigen::MatrixXd rhs = uu - m.within * a_sum;
  const Eigen::LDLT<Eigen::MatrixXd> ldlt(k);
  if (ldlt.info() != Eigen::Success) return std::nullopt;
  const Eigen::VectorXd vec_sigma = ldlt.solve(Eigen::Map<const Eigen::VectorXd>(rhs.data(), qq));
  m.sigma = Eigen::Map<const Eigen::MatrixXd>(vec_sigma.data(), q, q);
  m.sigma = (0.5 * (m.sigma + m.sigma.transpose())).eval();
  if (!m.sigma.allFinite()) return std::nullopt;
  return m;
}

// Sigma / sigma^2 as the start of one term. In the scale of Z's columns (T = D Sigma D / sigma^2,
// D = diag(rms of Z's columns)) the standard deviations sqrt(T_jj) are clamped into
// [kMinStart, kMaxStart] and the correlations T_ij / sqrt(T_ii T_jj) into +-kMaxCorrelation; a
// correlation with a variance below kMinStart^2 is set to 0: it is noise, and near a singular
// optimum its sign would choose between the two basins L_21 > 0 and L_21 < 0. The correlation
// matrix's eigenvalues are floored at kMinCorrelationEigenvalue. nullopt for a zero column.
std::optional<Eigen::MatrixXd> ClampedRelative(const RandomEffectTerm& t,
                                               const Eigen::MatrixXd& sigma, double sigma2) {
  const int q = t.q();
  const Eigen::VectorXd rms =
      (t.z.colwise().squaredNorm().transpose() / static_cast<double>(t.z.rows())).cwiseSqrt();
  if (!(rms.minCoeff() > 0) || !rms.allFinite()) return std::nullopt;
  const Eigen::MatrixXd scaled = rms.asDiagonal() * (sigma / sigma2) * rms.asDiagonal();
  const double floor = kMinStart * kMinStart;
  Eigen::VectorXd sd(q);
  Eigen::MatrixXd corr = Eigen::MatrixXd::Identity(q, q);
  for (int i = 0; i < q; ++i) {
    sd(i) = std::clamp(std::sqrt(std::max(scaled(i, i), 0.0)), kMinStart, kMaxStart);
    for (int j = 0; j < i; ++j) {
      const double rho = scaled(i, i) > floor && scaled(j, j) > floor
                             ? scaled(i, j) / std::sqrt(scaled(i, i) * scaled(j, j))
                             : 0.0;
      corr(i, j) = corr(j, i) = std::clamp(rho, -kMaxCorrelation, kMaxCorrelation);
    }
  }
  if (q > 2) {
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(corr);
    if (eig.info() != Eigen::Success) return std::nullopt;
    corr = eig.eigenvectors() * eig.eigenvalues().cwiseMax(kMinCorrelationEigenvalue).asDiagonal() *
           eig.eigenvectors().transpose();
    const Eigen::VectorXd unit = corr.diagonal().cwiseSqrt().cwiseInverse();
    corr = (unit.asDiagonal() * corr * unit.asDiagonal()).eval();
  }
  const Eigen::VectorXd factor = sd.cwiseQuotient(rms);
  return Eigen::MatrixXd(factor.asDiagonal() * corr * factor.asDiagonal());
}

std::optional<std::vector<double>> CovarianceMoments(const ModelFrame& frame,
                                                     const ThetaLayout& layout,
                                                     const Eigen::VectorXd& r, double total) {
  std::vector<std::optional<TermMoments>> terms;
  double sigma2 = std::numeric_limits<double>::infinity();
  for (const RandomEffectTerm& t : frame.random) {
    terms.push_back(EstimateTerm(t, r));
    if (terms.back()) sigma2 = std::min(sigma2, terms.back()->within);
  }
  if (!std::isfinite(sigma2)) return std::nullopt;
  sigma2 = std::max(sigma2, 0.1 * total);
  std::vector<double> theta = layout.start();
  for (size_t k = 0; k < terms.size(); ++k) {
    if (!terms[k]) continue;
    const std::optional<Eigen::MatrixXd> relative =
        ClampedRelative(frame.random[k], terms[k]->sigma, sigma2);
    if (!relative) continue;
    const int index = static_cast<int>(k);
    const std::vector<double> term_theta =
        layout.term(index).ThetaFromRelativeCovariance(*relative);
    std::copy(term_theta.begin(), term_theta.end(), theta.begin() + layout.offset(index));
  }
  for (int i = 0; i < layout.size(); ++i)
    theta[i] = std::clamp(theta[i], layout.lower()[i], layout.upper()[i]);
  return theta;
}

}  // namespace

std::optional<std::vector<double>> MomentStart(const ModelFrame& frame, const ThetaLayout& layout) {
  const int64_t n = frame.n();
  const int p = frame.p();
  if (n <= p + 1 || frame.random.empty() || frame.x.rows() != n) return std::nullopt;
  bool intercepts = true;
  for (const RandomEffectTerm& t : frame.random) {
    if (t.q() > kMaxMomentColumns || t.z.rows() != n || t.z.cols() != t.q() ||
        static_cast<int64_t>(t.level.size()) != n)
      return std::nullopt;
    intercepts = intercepts && IsRandomIntercept(t, n);
  }
  const std::optional<Eigen::VectorXd> r = OlsResiduals(frame);
  if (!r) return std::nullopt;
  const double total = r->squaredNorm() / static_cast<double>(n - p);
  if (!(total > 0) || !std::isfinite(total)) return std::nullopt;
  return intercepts ? InterceptMoments(frame, layout, *r, total)
                    : CovarianceMoments(frame, layout, *r, total);
}

}  // namespace lmm
