// CPU backend of the profiled likelihood: MixedModels.jl's blocked Cholesky specialized to "block 0
// sparse, the rest dense" (see cross_products.h for the storage).
//
// Update(theta), with Lambda_0 the first term's template and Lambda_r the block-diagonal factor of
// the rest (identity on the [X y] rows):
//  1. per level c of term 0 (parallel, fixed chunks of levels):
//       L_c   = chol(Lambda_0' D_c Lambda_0 + I)                      (q0 x q0)
//       P_c   = Lambda_r' C_c Lambda_0 L_c^{-T}                       (m_c x q0)
//  2. S = Lambda_r' A Lambda_r + diag(I_mt, 0) - sum_c E_c P_c P_c' E_c'   (E_c scatters rows)
//     The [X y] rows of the sum are reduced from per-chunk partial sums in chunk order, so the
//     result does not depend on the number of threads; the term rows are summed serially.
//  3. Cholesky S = L_S L_S': dense, or supernodal after a fill-reducing ordering of the term
//     rows when S is sparse enough (rest_factor.h); [X y] rows always last. The supernodal
//     factorization assembles S's pieces straight into its fronts (front_assembly.h) and S is
//     formed only when a query needs L_S in this (dense) form.
// Then log|L|^2 = 2 sum_c log|L_c| + 2 sum_{i<mt} log L_S(i,i), R_X' = L_S's X block,
// r = L_S(m-1, m-1) [Bates, Alday & Kokandakar 2025, sec. 3; DESIGN.md sec. 3].
// Cost per evaluation: O(l0 (q0^3 + m_c q0^2 + m_c^2 q0) + m^3 / 3), independent of n.
#pragma once

#include <Eigen/Dense>
#include <memory>
#include <vector>

#include "likelihood/cpu/cross_products.h"
#include "likelihood/cpu/front_assembly.h"
#include "likelihood/cpu/supernodal_cholesky.h"
#include "likelihood/cpu/thread_pool.h"
#include "likelihood/evaluator.h"

namespace lmm {

class CpuEvaluator final : public Evaluator {
 public:
  CpuEvaluator(const ModelFrame& frame, const EvaluatorOptions& options);
  // With the cross-products already built for this frame and layout (BuildCrossProducts, or a
  // copy of another model's with only the response replaced: fit --responses).
  CpuEvaluator(const ModelFrame& frame, const EvaluatorOptions& options, cpu::CrossProducts cp);

  Status Update(std::span<const double> theta) override;
  Eigen::MatrixXd ConditionalModes(int t) const override;
  Eigen::MatrixXd ConditionalVariances(int t, double sigma2) const override;

  // The factor of the last successful Update, for tests: L_c of level c (q0 x q0) and L_S.
  Eigen::MatrixXd LevelFactor(int64_t c) const;
  // For tests on small models: the whole lower-triangular factor L of the augmented matrix
  // [Lambda'Z'Z Lambda + I, Lambda'Z'[X y]; [X y]'Z Lambda, [X y]'[X y]] (X and y centered as in
  // cross_products().centering), rows ordered as block 0 (level-major) and then the rest.
  Eigen::MatrixXd AssembleFactor() const;
  // L_S (dense lower, the rest in CrossProducts order). With the supernodal factorization, S is
  // formed and factored densely on first use after an Update (queries at the end of a fit only).
  const Eigen::MatrixXd& RestFactor() const;
  bool supernodal() const { return sparse_ != nullptr; }
  const cpu::CrossProducts& cross_products() const { return cp_; }
  int threads() const { return pool_.size(); }

 private:
  void FillLambdas(std::span<const double> theta);
  void EliminateChunk(int64_t chunk);
  template <int Q>
  void EliminateLevels(int64_t chunk);
  // The [X y] rows of P_c P_c' (lower triangle, w x m) of level c added into xy (Q as above).
  template <int Q>
  void AddTailProducts(int64_t c, double* xy) const;
  // Lambda_r' A Lambda_r into s_ (both triangles), when some rest term has several columns.
  void ScaleRestBlocks() const;
  // S (lower triangle) into s_; chunk_xy_ must hold the [X y] rows' partial sums.
  void FormSchurComplement() const;
  // beta in the centered basis from the [X y] block of L_S, into `beta` (p values, no allocation).
  void CenteredBeta(Eigen::VectorXd& beta) const;
  // u of all random effects: u0 (l0 x q0, level-major) and ur (mt).
  void SolveModes(Eigen::VectorXd& u0, Eigen::VectorXd& ur) const;

  cpu::CrossProducts cp_;
  mutable cpu::ThreadPool pool_;  // also used by the lazily computed dense L_S
  int64_t chunk_size_ = 1;
  int64_t num_chunks_ = 0;
  // Per-Update workspace (allocated once).
  std::vector<double> lambda0_;                // q0 x q0
  std::vector<std::vector<double>> lambda_r_;  // per rest block q_b x q_b
  std::vector<double> lfac_;                   // l0 x q0 x q0: L_c
  std::vector<double> panels_;                 // panels P_c, layout of cp_.panel
  std::vector<double> chunk_logdet_;           // per chunk: 2 sum log diag L_c
  std::vector<int64_t> chunk_failed_;          // per chunk: first failing level or -1
  mutable std::vector<double> chunk_xy_;       // per chunk: (p+1) x m partial of sum P P'
  // m x m: S, then its Cholesky factor L_S (lower); with the supernodal factorization
  // Lambda_r' A Lambda_r during an Update (non-scalar rest) and L_S once RestFactor() asks.
  mutable Eigen::MatrixXd s_;
  Eigen::MatrixXd tail_;  // (p+1) x (p+1): the [X y] block of L_S (lower)
  std::unique_ptr<cpu::SupernodalCholesky> sparse_;  // set when S is factored supernodally
  std::unique_ptr<cpu::SchurFrontAssembly> assembly_;  // then: S's pieces into its fronts
  mutable bool dense_factor_valid_ = false;            // then: s_ holds L_S of the last Update
  Eigen::VectorXd scale_;                      // m: Lambda_r's diagonal when every q_b == 1
  bool rest_scalar_ = true;
  // Term-row scatter work: per chunk of columns of S, items [scatter_off_[k], scatter_off_[k+1]).
  struct ScatterItem {
    int32_t level, begin, end;  // panel rows [begin, end) of level `level`
  };
  std::vector<ScatterItem> scatter_items_;
  std::vector<int64_t> scatter_off_;
};

}  // namespace lmm
