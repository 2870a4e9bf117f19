// The profiled likelihood of a linear mixed model as a function of theta, behind one interface with
// one final class per backend (cpu/, gpu/). Create() does the symbolic work and all allocation
// once; Update(theta) does only numeric work; the queries are valid after a successful Update().
//
// Mathematics: DESIGN.md sections 2-4; Bates et al. (2015, J. Stat. Softw. 67(1), sec. 3);
// Bates, Alday & Kokandakar (2025, arXiv:2505.11674) for the blocked Cholesky factor.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "likelihood/status.h"
#include "lmm/fit_result.h"
#include "lmm/model_frame.h"
#include "model/theta_layout.h"

namespace lmm {

enum class Backend { kCpu, kGpu };

// What a successful Update() leaves for the objective, recorded per theta so that later work at
// the same theta (information matrices by finite differences) need not factor again.
struct ObjectivePieces {
  double logdet_l = 0, logdet_rx = 0, pwrss = 0;
};
using PiecesByTheta = std::map<std::vector<double>, ObjectivePieces>;

// How the CPU backend factors the Schur complement of the terms after the first: densely, or by
// a supernodal sparse Cholesky after a fill-reducing ordering (crossed terms with many levels,
// as InstEval's lecturers). kAuto picks the supernodal one when it needs well under half the
// dense flops.
enum class RestFactorization { kAuto, kDense, kSupernodal };

struct EvaluatorOptions {
  Backend backend = Backend::kCpu;
  int threads = 0;  // worker threads; 0: std::thread::hardware_concurrency()
  RestFactorization rest = RestFactorization::kAuto;
};

class Evaluator {
 public:
  virtual ~Evaluator() = default;

  // Builds the evaluator for `frame` (which must outlive nothing: the evaluator keeps its own
  // cross-products). Returns nullptr and sets *status (if given) when the backend is not
  // available; throws lmm::Error for a model it cannot represent.
  static std::unique_ptr<Evaluator> Create(const ModelFrame& frame, const EvaluatorOptions& options,
                                           Status* status = nullptr);

  const ThetaLayout& layout() const { return layout_; }
  int64_t n() const { return n_; }
  int p() const { return p_; }

  // Factors the scaled, augmented cross-product matrix at theta (layout().size() values, within
  // layout()'s bounds). Numeric work only; a factorization that is not positive definite is
  // returned as a status, and the queries below are then invalid.
  virtual Status Update(std::span<const double> theta) = 0;

  // Queries, valid after a successful Update().
  double pwrss() const { return pwrss_; }          // penalized weighted residual sum of squares
  double logdet_l() const { return logdet_l_; }    // log|L_ZZ|^2
  double logdet_rx() const { return logdet_rx_; }  // log|R_X|^2, R_X of the original X
  // lme4's deviance (ML) or REML criterion at the last theta.
  double Objective(bool reml) const;
  double sigma2(bool reml) const;
  // Conditional estimate of beta (p values, the original X's columns).
  const Eigen::VectorXd& beta() const { return beta_; }
  // Upper triangular R_X for the original X: R_X'R_X = X'V^{-1}X sigma^2 (V = var(y)), so that
  // cov(beta) = sigma^2 (R_X'R_X)^{-1}.
  const Eigen::MatrixXd& rx() const { return rx_; }
  // (R_X'R_X)^{-1}: cov(beta) / sigma^2.
  Eigen::MatrixXd UnscaledFixedCovariance() const;

  // Conditional modes b = Lambda u of ModelFrame term t: levels x q (row per level, the term's
  // level order). Back-substitution through the factor; allocates.
  virtual Eigen::MatrixXd ConditionalModes(int t) const = 0;
  // Conditional variances var(b_j | y) = sigma2 Lambda_t [(L L')^{-1}]_jj Lambda_t' of ModelFrame
  // term t (as lme4's condVar, not counting the uncertainty in beta): levels x (q*q), each row a
  // column-major q x q matrix.
  virtual Eigen::MatrixXd ConditionalVariances(int t, double sigma2) const = 0;

  // GPU evaluators: the device and its memory (reported in FitResult::device); else nullopt.
  virtual std::optional<DeviceReport> device_report() const { return std::nullopt; }

 protected:
  explicit Evaluator(const ModelFrame& frame)
      : layout_(frame), n_(frame.n()), p_(frame.p()), beta_(frame.p()), rx_(frame.p(), frame.p()) {}

  // kInvalidArgument unless theta has layout().size() values (every Update's first check).
  Status CheckThetaLength(std::span<const double> theta) const {
    if (static_cast<int>(theta.size()) == layout_.size()) return Status::Ok();
    return Status::Error(Status::Code::kInvalidArgument, "evaluator: theta has the wrong length");
  }

  // Sets the queries' values from a host finish's solution (any type with the fields logdet_l,
  // logdet_rx, pwrss, beta and rx, e.g. gpu::OneTermSolution), copied unchanged.
  template <class Solution>
  void TakeSolution(const Solution& solution) {
    logdet_l_ = solution.logdet_l;
    logdet_rx_ = solution.logdet_rx;
    pwrss_ = solution.pwrss;
    beta_ = solution.beta;
    rx_ = solution.rx;
  }

  ThetaLayout layout_;
  int64_t n_;
  int p_;
  // Set by Update().
  double pwrss_ = 0, logdet_l_ = 0, logdet_rx_ = 0;
  Eigen::VectorXd beta_;
  Eigen::MatrixXd rx_;
};

}  // namespace lmm
