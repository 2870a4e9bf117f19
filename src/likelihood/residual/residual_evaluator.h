// The profiled likelihood of a linear mixed model whose residuals have a within-cluster structure
// var(e_c) = sigma^2 R_c(u) (residual/residual_structure.h).
//
// With R_c = L_c L_c' (Cholesky), premultiplying cluster c's rows of [Z X y] by L_c^{-1} gives a
// model with independent residuals of variance sigma^2; because every grouping factor is constant
// within a cluster (residual/clusters.h), the whitened rows of each term keep their levels, so the
// whitened model is again a ModelFrame and the CPU blocked Cholesky applies unchanged. The
// likelihoods differ by the Jacobian of the transformation:
//   -2 l(theta, u) = -2 l_white(theta) + sum_c log|R_c|
// for ML and REML alike [Pinheiro & Bates 2000, sec. 5.1.1, eqs. 5.4-5.6]. This evaluator reports
// logdet_l() = log|L|^2 + sum_c log|R_c|, so Objective() and sigma2() are those of the model.
//
// SetResidualParameters(u) re-whitens and rebuilds the inner evaluator's cross-products (one pass
// over the rows); Update(theta) is then the usual blocked Cholesky. R_c depends on a cluster only
// through its pattern (by level, per-row by levels, times relative to its first time, or time
// identifiers), so L_c^{-1} and log|R_c| are computed once per distinct pattern (balanced
// longitudinal data have one): O(patterns m^3 + n m) per whitening.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "likelihood/cpu/cpu_evaluator.h"
#include "likelihood/residual/whitened_evaluator.h"
#include "residual/clusters.h"
#include "residual/residual_structure.h"

namespace lmm {

class ResidualEvaluator final : public WhitenedEvaluator {
 public:
  // `frame`, `clusters` and `structure` must outlive the evaluator.
  ResidualEvaluator(const ModelFrame& frame, const residual::Clusters& clusters,
                    residual::ResidualStructure& structure, const EvaluatorOptions& options);

  // Whitens for u (structure().size() values). Not positive definite: an error status, and
  // Update() fails until a valid u is set.
  Status SetResidualParameters(std::span<const double> u) override;
  Status Update(std::span<const double> theta) override;
  Eigen::MatrixXd ConditionalModes(int t) const override;
  Eigen::MatrixXd ConditionalVariances(int t, double sigma2) const override;

  double logdet_r() const override { return logdet_r_; }
  const std::vector<double>& residual_parameters() const override { return u_; }

 private:
  const ModelFrame& frame_;
  const residual::Clusters& clusters_;
  residual::ResidualStructure& structure_;
  EvaluatorOptions options_;
  ModelFrame white_;  // the whitened frame (same levels, whitened y, x, z)
  std::unique_ptr<CpuEvaluator> inner_;
  std::vector<double> u_;
  std::vector<int32_t> pattern_;                  // per cluster: its pattern
  std::vector<int64_t> pattern_cluster_;          // per pattern: a cluster that has it
  std::vector<Eigen::MatrixXd> pattern_inverse_;  // per pattern: L^{-1} at the last u
  std::vector<double> pattern_logdet_;            // per pattern: log|R| at the last u
  bool whitened_ = false;
  double logdet_r_ = 0;
};

}  // namespace lmm
