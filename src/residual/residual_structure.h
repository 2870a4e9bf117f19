// The correlation and variance model of one residual structure, as a function of unconstrained
// parameters u in which every value is valid [Pinheiro & Bates 2000, sec. 5.3; nlme corARMA]:
//   ar(p):        partial autocorrelations tanh(u_k) -> phi by the Durbin-Levinson recursion, so
//                 every iterate is stationary [Barndorff-Nielsen & Schou 1973; Jones 1980];
//   ma(q):        theta = the same map, negated (1 + theta_1 z + ... has its roots outside the
//                 unit circle: invertible);
//   exchangeable: rho = lo + (1 - lo) logistic(u), lo = -1/(m - 1), m the largest cluster, so
//                 every cluster's matrix (1 - rho) I + rho 11' is positive definite;
//   exponential:  rho = logistic(u), corr = rho^|t - s| (Stata; nlme corExp range = -1/log rho);
//   toeplitz(k):  rho_j = tanh(u_j), j <= k, 0 beyond (positive definiteness checked by the
//                 whitening's Cholesky factorization);
//   unstructured: correlations over the T time identifiers from a lower-triangular W with unit
//                 diagonal and W_ij = u (j < i): C = L L', L's rows W's rows normalized to unit
//                 length, positive definite with unit diagonal for every u [Pinheiro & Bates
//                 1996, Stat. Comput. 6]; sd ratios per time identifier;
//   banded(k):    correlations tanh(u) of the time identifiers at most k apart in their sorted
//                 order, 0 beyond; sd ratios per time identifier (k = 0: heteroskedastic only);
//   independent:  no correlation parameters.
// With `by`, each by level has its own correlation parameters (all but independent) and its own
// variance(s): sd ratios exp(u) relative to by level 1 (and, for unstructured and banded, its first
// time identifier), whose variance is the profiled sigma^2. R_c = D_c C_c D_c per cluster,
// relative to sigma^2. u = [correlation parameters by level, then the log sd ratios by level (and
// time identifier), less the reference one].
#pragma once

#include <Eigen/Dense>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "residual/clusters.h"
#include "residual/residual_spec.h"

namespace lmm::residual {

// phi_1..phi_p of the AR(p) with partial autocorrelations `pacf` (Durbin-Levinson).
std::vector<double> PacfToAr(std::span<const double> pacf);
// Autocorrelations rho_0..rho_max_lag of the stationary AR(p) with partial autocorrelations pacf.
std::vector<double> ArAutocorrelations(std::span<const double> pacf, int64_t max_lag);
// Autocorrelations rho_0..rho_max_lag of the MA(q) e_t = a_t + sum theta_j a_{t-j}.
std::vector<double> MaAutocorrelations(std::span<const double> theta, int64_t max_lag);

// The t x t correlation matrix of the unstructured parametrization (t(t-1)/2 values w).
Eigen::MatrixXd UnstructuredCorrelation(std::span<const double> w, int t);

class ResidualStructure {
 public:
  // Throws lmm::Error(kUsage) for a structure not implemented or an order the data cannot carry.
  ResidualStructure(const ResidualSpec& spec, const Clusters& clusters);

  const ResidualSpec& spec() const { return spec_; }
  int size() const { return num_by_ * corr_size_ + num_by_ * sd_per_by_ - 1; }
  int corr_size() const { return corr_size_; }  // per by level
  // Variances per by level: the number of time identifiers (unstructured, banded) or 1.
  int sd_per_by() const { return sd_per_by_; }
  // Unstructured and banded: the time identifier pairs (i < j, indices into
  // Clusters::time_levels) whose correlations CorrParameters returns, in that order.
  const std::vector<std::pair<int, int>>& pairs() const { return pairs_; }
  int num_by() const { return num_by_; }
  const std::vector<std::string>& corr_names() const { return corr_names_; }  // "phi1", "rho"
  std::vector<double> Start() const { return std::vector<double>(size(), 0.0); }
  std::vector<double> Lower() const;
  std::vector<double> Upper() const;

  // The reported correlation parameters of by level b (phi, theta, rho; unstructured and banded:
  // the correlations of pairs()) from u.
  std::vector<double> CorrParameters(std::span<const double> u, int b) const;
  // sd ratio of by level b and time identifier t (0 unless unstructured or banded); 1 for (0, 0).
  double SdRatio(std::span<const double> u, int b, int t = 0) const;
  // Index into u of the log sd ratio of (b, t), or -1 for the reference (0, 0).
  int SdIndex(int b, int t = 0) const {
    const int k = b * sd_per_by_ + t;
    return k == 0 ? -1 : num_by_ * corr_size_ + k - 1;
  }

  // Computes the per-by-level tables for u; then ClusterCovariance fills R_c (entries of cluster c
  // in the Clusters order, relative to sigma^2).
  void Prepare(std::span<const double> u);
  void ClusterCovariance(int64_t c, Eigen::MatrixXd& r) const;

 private:
  double Correlation(int b, int64_t e1, int64_t e2) const;

  ResidualSpec spec_;
  const Clusters& clusters_;
  int num_by_ = 1;
  int corr_size_ = 0;
  int sd_per_by_ = 1;
  std::vector<std::string> corr_names_;
  std::vector<std::pair<int, int>> pairs_;
  std::vector<Eigen::MatrixXd> corr_matrix_;  // prepared (unstructured, banded): T x T per by
  // Prepared: per by level, autocorrelations by lag (ar, ma, toeplitz) or the parameter rho.
  std::vector<std::vector<double>> lag_corr_;
  std::vector<double> rho_;
  std::vector<double> sd_;
};

}  // namespace lmm::residual
