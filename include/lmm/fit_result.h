// Everything a fit reports: the numbers lme4's summary() and Stata's `mixed` tables show.
// NaN marks a value that is not available (printed as null in JSON, "." in text).
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lmm/model_frame.h"

namespace lmm {

struct FixedEffect {
  std::string term;
  double estimate = 0, std_error = 0;
  double statistic = 0;  // z (or t with a DDF method)
  double df = 0;         // NaN: normal reference distribution
  double p_value = 0, conf_low = 0, conf_high = 0;
};

// A variance (term2 empty) or a covariance of a random-effect term, or the residual variance.
// SEs from the observed information in Stata's metric (log SD, atanh correlation, log sigma);
// intervals back-transformed from the log scale (variances, SDs), the atanh scale (correlations)
// or, for covariances, symmetric on the natural scale.
struct VarianceComponent {
  std::string group;  // "Subject", "Residual"
  std::string term;   // "(Intercept)"
  std::string term2;  // covariance partner, empty for a variance
  double value = 0;   // variance or covariance
  double std_dev = 0;      // variances: SD; covariances: NaN
  double correlation = 0;  // covariances: correlation; variances: NaN
  double std_error = 0, conf_low = 0, conf_high = 0;  // of `value`
  double sd_std_error = 0, sd_conf_low = 0, sd_conf_high = 0;        // variances: of the SD
  double corr_std_error = 0, corr_conf_low = 0, corr_conf_high = 0;  // covariances: of the corr.
};

struct LikelihoodRatioTest {
  double statistic = 0;
  int df = 0;
  double p_value = 0;
  std::string kind;  // "chibar2" (one variance component) or "chi2-conservative"
};

// A test of a linear hypothesis L beta = c on the fixed effects: a model term's columns, all
// coefficients but the intercept, or a user contrast. With a DDF method: F(numdf, dendf) (for
// Kenward-Roger the scaled F); without: chi2(numdf) = numdf * F, dendf NaN.
struct FixedEffectsTest {
  std::string term;    // "factor(drug)", "all but (Intercept)", or the hypothesis as written
  std::string kind;    // "term", "model", "contrast"
  double statistic = 0;  // F, or chi2 without a DDF method
  int numdf = 0;
  double dendf = 0;
  double p_value = 0;
  double estimate = 0;   // one-df tests: L beta - c; NaN for several df
  double std_error = 0;  // one-df tests: its SE (adjusted for Kenward-Roger)
};

struct WaldTest {
  double statistic = 0;
  int df = 0;
  double p_value = 0;
};

// Conditional modes (BLUPs) of one random-effect term with their conditional variances.
struct RandomEffectModes {
  std::string group;
  std::vector<std::string> names;         // the term's columns
  std::vector<std::string> level_labels;
  Eigen::MatrixXd modes;                  // levels x q
  Eigen::MatrixXd conditional_variances;  // levels x q*q, each row column-major q x q
};

struct ConvergenceReport {
  bool converged = false;
  bool singular = false;
  double max_abs_gradient = 0;       // of the objective in theta at the optimum
  double scaled_gradient = 0;        // lme4's max |solve(chol(Hessian), gradient)|
  double min_hessian_eigenvalue = 0; // of the objective's Hessian in theta (free parameters)
  std::string message;               // why not converged, when not
  int iterations = 0;
  int evaluations = 0;
  double seconds = 0;
};

// One parameter of a residual structure as Stata reports it: phi1.., theta1.., rho, rho1..,
// var(e), cov(e) (exchangeable), var(e_t) and cov(e_i,e_j) (unstructured, banded). SEs from the observed information of the (restricted) likelihood over all variance
// parameters; intervals symmetric for phi and theta, on the atanh scale for correlations rho and
// on the log scale for var(e).
struct ResidualParameter {
  std::string name;
  double estimate = 0, std_error = 0, conf_low = 0, conf_high = 0;
};

// The residual structure of a fit with FitOptions::residuals. FitResult::residual then holds var(e)
// of the reference level (the first by level; unstructured and banded: its first time identifier).
struct ResidualStructureReport {
  std::string type;     // "independent", "exchangeable", "ar", "ma", "toeplitz", "exponential"
  std::string spec;     // as given
  int order = 0;        // ar, ma, toeplitz
  std::string time;     // time variable, or empty
  std::string by;       // by variable, or empty
  std::string cluster;  // the grouping factor whose levels are the clusters
  std::vector<ResidualParameter> parameters;  // without by: the structure's and var(e)
  // With by: per level (sorted), its parameters and var(e).
  std::vector<std::pair<std::string, std::vector<ResidualParameter>>> by_levels;
};

// What the GPU backend held and did (FitResult::device; backend "gpu"): device memory is reported
// as the evaluator's allocations (resident data and work buffers), the one-time pass over the rows
// on the device (one-term models from 1e6 rows) by its chunks and pinned staging memory.
struct DeviceReport {
  std::string name;          // the device's name and index
  int64_t device_bytes = 0;  // held by the evaluator during the fit
  bool device_pass = false;  // the per-cluster sums were formed on the device
  int64_t pass_rows = 0, pass_chunk_rows = 0, pass_chunks = 0;
  int64_t pass_staging_device_bytes = 0;  // chunk buffers, freed after the pass
  int64_t pass_pinned_host_bytes = 0;     // pinned staging buffers, freed after the pass
  double pass_seconds = 0;
};

struct FitResult {
  std::string formula;
  bool reml = true;
  std::string backend = "cpu";
  // --backend auto stayed on (or fell back to) the CPU although a CUDA device was present: why
  // (e.g. not enough device memory, and how much was needed). Empty otherwise.
  std::string backend_note;
  int64_t nobs = 0;
  int64_t rows_read = 0;
  std::vector<std::pair<std::string, int64_t>> rows_dropped;
  std::vector<GroupSummary> groups;
  std::vector<std::string> aliased;

  std::vector<double> theta;
  ConvergenceReport convergence;
  double loglik = 0;    // log-likelihood (ML) or log restricted likelihood (REML)
  double deviance = 0;  // -2 loglik
  double aic = 0, bic = 0;
  int df_model = 0;     // fixed effects + covariance parameters + residual variance

  std::string ddf_method = "none";  // none, residual, between-within, containment,
                                    // satterthwaite, kenward-roger
  std::string ddf_information;      // "expected"/"observed" for satterthwaite, kenward-roger
  std::string se_method = "conventional";  // "kenward-roger": SEs, t, CIs from the adjusted cov.
  std::vector<FixedEffect> fixed_effects;
  Eigen::MatrixXd fixed_covariance;  // cov(beta) (Kenward-Roger: the adjusted one)
  std::vector<FixedEffectsTest> tests;
  // Identifies the data a fit used (FNV-1a of the used responses' bits and nobs), so that two
  // saved fits can be checked to be on the same data.
  std::string response_hash;
  std::vector<VarianceComponent> random_effects;
  VarianceComponent residual;
  LikelihoodRatioTest lr_test_vs_linear;
  bool has_lr_test = false;
  WaldTest wald_test;
  bool has_wald_test = false;
  bool has_residual_structure = false;
  ResidualStructureReport residual_structure;
  bool has_device = false;  // backend "gpu"
  DeviceReport device;
  std::vector<RandomEffectModes> modes;
  Eigen::VectorXd fitted;  // per used row: X beta + Z b
};

}  // namespace lmm
