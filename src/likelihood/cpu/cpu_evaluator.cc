#include "likelihood/cpu/cpu_evaluator.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <thread>

#include "likelihood/cpu/dense_cholesky.h"
#include "likelihood/cpu/rest_factor.h"
#include "likelihood/cpu/small_dense.h"
#include "lmm/error.h"

namespace lmm {
namespace {

// Chunks of levels are the unit of the parallel loop and of the fixed-order reduction: their
// number depends only on the data, never on the thread count.
constexpr int64_t kMinChunkLevels = 64;
constexpr int64_t kMaxChunks = 256;
// Columns of S per task when scaling A and in the term-row scatter.
constexpr int64_t kScaleColumns = 64;
constexpr int64_t kScatterColumns = 32;

// As io::ResolveThreads: more than 256 threads only risks failing to start them (a pool of the
// requested 100,000 exhausted the process limit and hung).
int ResolveThreads(int threads) {
  constexpr int kMaxThreads = 256;
  if (threads > 0) return std::min(threads, kMaxThreads);
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

CpuEvaluator::CpuEvaluator(const ModelFrame& frame, const EvaluatorOptions& options)
    : CpuEvaluator(frame, options, cpu::BuildCrossProducts(frame, ThetaLayout(frame))) {}

CpuEvaluator::CpuEvaluator(const ModelFrame& frame, const EvaluatorOptions& options,
                           cpu::CrossProducts cp)
    : Evaluator(frame), cp_(std::move(cp)), pool_(ResolveThreads(options.threads)) {
  const int q0 = cp_.q0;
  if (q0 > cpu::kMaxSmallQ)
    throw Error(ErrorKind::kUsage, "evaluator: the term for " + frame.random[cp_.term0].group +
                                       " has more than 32 columns");
  chunk_size_ = std::max(kMinChunkLevels, (cp_.l0 + kMaxChunks - 1) / kMaxChunks);
  num_chunks_ = (cp_.l0 + chunk_size_ - 1) / chunk_size_;
  lambda0_.assign(q0 * q0, 0.0);
  for (const cpu::RestBlock& rb : cp_.rest) {
    lambda_r_.emplace_back(rb.q * rb.q, 0.0);
    rest_scalar_ = rest_scalar_ && rb.q == 1;
  }
  lfac_.assign(cp_.d.size(), 0.0);
  panels_.assign(cp_.panel.size(), 0.0);
  chunk_logdet_.assign(num_chunks_, 0.0);
  chunk_failed_.assign(num_chunks_, -1);
  chunk_xy_.assign(num_chunks_ * (p_ + 1) * cp_.m, 0.0);
  s_ = Eigen::MatrixXd::Zero(cp_.m, cp_.m);
  tail_ = Eigen::MatrixXd::Zero(p_ + 1, p_ + 1);
  sparse_ = cpu::ChooseRestFactor(cp_, options.rest);
  if (sparse_) assembly_ = std::make_unique<cpu::SchurFrontAssembly>(cp_, sparse_->plan());
  scale_ = Eigen::VectorXd::Ones(cp_.m);
  // Work lists of the term-row scatter: for each chunk of columns of S, the levels (in order)
  // with panel rows in it, and those rows.
  const int64_t chunks = (cp_.mt + kScatterColumns - 1) / kScatterColumns;
  std::vector<std::vector<ScatterItem>> lists(chunks);
  for (int64_t c = 0; c < cp_.l0; ++c) {
    const int32_t* idx = cp_.row_index.data() + cp_.row_off[c];
    const int64_t rows = cp_.panel_rows(c) - (p_ + 1);
    for (int64_t j = 0; j < rows;) {
      const int64_t chunk = idx[j] / kScatterColumns;
      int64_t e = j;
      while (e < rows && idx[e] / kScatterColumns == chunk) ++e;
      lists[chunk].push_back(
          {static_cast<int32_t>(c), static_cast<int32_t>(j), static_cast<int32_t>(e)});
      j = e;
    }
  }
  scatter_off_.assign(1, 0);
  for (const std::vector<ScatterItem>& l : lists) {
    scatter_items_.insert(scatter_items_.end(), l.begin(), l.end());
    scatter_off_.push_back(static_cast<int64_t>(scatter_items_.size()));
  }
}

void CpuEvaluator::FillLambdas(std::span<const double> theta) {
  layout_.term(cp_.term0).FillLambda(layout_.TermTheta(theta, cp_.term0), lambda0_.data());
  for (size_t b = 0; b < cp_.rest.size(); ++b) {
    const cpu::RestBlock& rb = cp_.rest[b];
    layout_.term(rb.term).FillLambda(layout_.TermTheta(theta, rb.term), lambda_r_[b].data());
    if (rest_scalar_) scale_.segment(rb.offset, rb.levels).setConstant(lambda_r_[b][0]);
  }
}

// Step 1 for the levels of one chunk.
void CpuEvaluator::EliminateChunk(int64_t chunk) {
  switch (cp_.q0) {
    case 1:
      return EliminateLevels<1>(chunk);
    case 2:
      return EliminateLevels<2>(chunk);
    case 3:
      return EliminateLevels<3>(chunk);
    default:
      return EliminateLevels<0>(chunk);
  }
}

// Q > 0: q0 known at compile time (the small loops unroll); Q == 0: any q0.
template <int Q>
void CpuEvaluator::EliminateLevels(int64_t chunk) {
  const int q0 = Q > 0 ? Q : cp_.q0;
  const int64_t m = cp_.m;
  const int w = p_ + 1;
  // The dense path sums the [X y] rows here; the supernodal one takes the whole P_c P_c' into
  // its fronts (and forms these sums only when a query needs S).
  double* xy = sparse_ ? nullptr : chunk_xy_.data() + chunk * w * m;
  if (xy != nullptr) std::fill(xy, xy + w * m, 0.0);
  // Without rest terms (one-term models) every panel is w x q0 and the panels lie back to back:
  // the chunk's sums are then one product M M' of the w x (q0 levels) matrix M of its panels.
  const bool stacked = xy != nullptr && cp_.mt == 0;
  // log|L_c|^2 summed as the log of a running product of the pivots (all >= 1, since L_c L_c' =
  // Lambda'D Lambda + I), rescaled by its binary exponent before it can overflow: one log per
  // chunk instead of q0 per level.
  double product = 1.0;
  int exponent = 0;
  chunk_failed_[chunk] = -1;
  double work[cpu::kMaxSmallQ * cpu::kMaxSmallQ];
  const int64_t begin = chunk * chunk_size_, end = std::min(cp_.l0, begin + chunk_size_);
  for (int64_t c = begin; c < end; ++c) {
    double* l = lfac_.data() + c * q0 * q0;
    cpu::CongruenceLower(lambda0_.data(), cp_.d.data() + c * q0 * q0, q0, work, l);
    for (int i = 0; i < q0; ++i) l[i + i * q0] += 1.0;
    if (!cpu::CholeskyLower(l, q0)) {
      if (chunk_failed_[chunk] < 0) chunk_failed_[chunk] = c;
      continue;
    }
    for (int i = 0; i < q0; ++i) product *= l[i + i * q0];
    if (product > 0x1p500) {
      int e = 0;
      product = std::frexp(product, &e);
      exponent += e;
    }
    const int64_t mc = cp_.panel_rows(c);
    double* pc = panels_.data() + cp_.panel_off[c];
    cpu::MultiplyLowerRight(cp_.panel.data() + cp_.panel_off[c], mc, lambda0_.data(), q0, pc);
    int64_t row = 0;
    for (int64_t k = cp_.tile_off[c]; k < cp_.tile_off[c + 1]; ++k) {
      const int qb = cp_.rest[cp_.tiles[k].block].q;
      cpu::MultiplyLowerTransposeLeft(lambda_r_[cp_.tiles[k].block].data(), qb, pc + row, mc, q0);
      row += qb;
    }
    cpu::SolveLowerTransposeRight(l, q0, pc, mc);
    if (xy != nullptr && !stacked) AddTailProducts<Q>(c, xy);
  }
  if (stacked && end > begin) {
    const Eigen::Map<const Eigen::MatrixXd> panels(panels_.data() + cp_.panel_off[begin], w,
                                                   q0 * (end - begin));
    Eigen::Map<Eigen::MatrixXd>(xy, w, w).noalias() = panels * panels.transpose();
  }
  chunk_logdet_[chunk] = 2.0 * (std::log(product) + exponent * std::numbers::ln2);
}

template <int Q>
void CpuEvaluator::AddTailProducts(int64_t c, double* xy) const {
  const int q0 = Q > 0 ? Q : cp_.q0;
  const int64_t m = cp_.m;
  const int w = p_ + 1;
  const int64_t mc = cp_.panel_rows(c);
  const double* pc = panels_.data() + cp_.panel_off[c];
  const int32_t* idx = cp_.row_index.data() + cp_.row_off[c];
  for (int r = 0; r < w; ++r) {
    const int64_t i = mc - w + r;
    double* out = xy + r * m;
    for (int64_t j = 0; j <= i; ++j) {
      double v = 0;
      for (int k = 0; k < q0; ++k) v += pc[i + k * mc] * pc[j + k * mc];
      out[idx[j]] += v;
    }
  }
}

void CpuEvaluator::ScaleRestBlocks() const {
  const int64_t m = cp_.m;
  s_ = cp_.a;
  for (size_t b = 0; b < cp_.rest.size(); ++b) {
    const cpu::RestBlock& rb = cp_.rest[b];
    for (int64_t l = 0; l < rb.levels; ++l) {
      const int64_t base = rb.offset + l * rb.q;
      cpu::MultiplyLowerRight(s_.data() + base * m, m, lambda_r_[b].data(), rb.q,
                              s_.data() + base * m);
    }
  }
  for (size_t b = 0; b < cp_.rest.size(); ++b) {
    const cpu::RestBlock& rb = cp_.rest[b];
    for (int64_t l = 0; l < rb.levels; ++l)
      cpu::MultiplyLowerTransposeLeft(lambda_r_[b].data(), rb.q, s_.data() + rb.offset + l * rb.q,
                                      m, m);
  }
}

// Step 2: S = Lambda_r' A Lambda_r + I - sum_c E_c P_c P_c' E_c' (lower triangle).
void CpuEvaluator::FormSchurComplement() const {
  const int64_t m = cp_.m;
  const int64_t mt = cp_.mt;
  const int q0 = cp_.q0;
  const int w = p_ + 1;
  if (rest_scalar_) {
    const int64_t tiles = (m + kScaleColumns - 1) / kScaleColumns;
    pool_.ParallelFor(tiles, [&](int64_t t) {
      const int64_t j1 = std::min(m, (t + 1) * kScaleColumns);
      for (int64_t j = t * kScaleColumns; j < j1; ++j) {
        const double sj = scale_(j);
        for (int64_t i = j; i < m; ++i) s_(i, j) = scale_(i) * cp_.a(i, j) * sj;
      }
    });
  } else {
    ScaleRestBlocks();
  }
  for (int64_t i = 0; i < mt; ++i) s_(i, i) += 1.0;
  // Term rows: each chunk of columns of S is owned by one task, which adds the levels' products
  // into its columns in level order (deterministic for any thread count; column-wise writes are
  // contiguous in memory).
  if (mt > 0) {
    const int64_t chunks = static_cast<int64_t>(scatter_off_.size()) - 1;
    pool_.ParallelFor(chunks, [&](int64_t chunk) {
      for (int64_t it = scatter_off_[chunk]; it < scatter_off_[chunk + 1]; ++it) {
        const ScatterItem& item = scatter_items_[it];
        const int64_t c = item.level;
        const int64_t mc = cp_.panel_rows(c);
        const int64_t rows = mc - w;
        const double* pc = panels_.data() + cp_.panel_off[c];
        const int32_t* idx = cp_.row_index.data() + cp_.row_off[c];
        for (int64_t j = item.begin; j < item.end; ++j) {
          double* col = s_.data() + idx[j] * m;
          if (q0 == 1) {
            const double pj = pc[j];
            for (int64_t i = j; i < rows; ++i) col[idx[i]] -= pc[i] * pj;
            continue;
          }
          for (int64_t i = j; i < rows; ++i) {
            double v = 0;
            for (int k = 0; k < q0; ++k) v += pc[i + k * mc] * pc[j + k * mc];
            col[idx[i]] -= v;
          }
        }
      }
    });
  }
  // [X y] rows: chunk partial sums in chunk order.
  for (int64_t ch = 0; ch < num_chunks_; ++ch) {
    const double* xy = chunk_xy_.data() + ch * w * m;
    for (int r = 0; r < w; ++r)
      for (int64_t j = 0; j <= mt + r; ++j) s_(mt + r, j) -= xy[r * m + j];
  }
}

Status CpuEvaluator::Update(std::span<const double> theta) {
  if (const Status s = CheckThetaLength(theta); !s.ok()) return s;
  FillLambdas(theta);
  pool_.ParallelFor(num_chunks_, [this](int64_t chunk) { EliminateChunk(chunk); });
  double logdet = 0;
  for (int64_t ch = 0; ch < num_chunks_; ++ch) {
    if (chunk_failed_[ch] >= 0)
      return Status::Error(Status::Code::kNotPositiveDefinite,
                           "evaluator: level block of the first term is not positive definite",
                           chunk_failed_[ch]);
    logdet += chunk_logdet_[ch];
  }
  const int64_t mt = cp_.mt;
  const int w = p_ + 1;
  if (sparse_) {
    dense_factor_valid_ = false;
    if (!rest_scalar_) ScaleRestBlocks();
    const cpu::SchurSources sources{panels_.data(), rest_scalar_ ? &cp_.a : &s_,
                                    rest_scalar_ ? scale_.data() : nullptr};
    const int64_t failed = sparse_->Factor(
        [&](int64_t s, int64_t j0, int64_t j1, double* f) { assembly_->Add(s, j0, j1, f, sources); },
        pool_);
    if (failed >= 0)
      return Status::Error(Status::Code::kNotPositiveDefinite,
                           "evaluator: sparse block of the factor is not positive definite", failed);
    logdet += 2.0 * sparse_->LogDiagonal(0, mt);
    for (int j = 0; j < w; ++j)
      for (int i = j; i < w; ++i) tail_(i, j) = sparse_->Entry(mt + i, mt + j);
  } else {
    FormSchurComplement();
    const int64_t failed = cpu::DenseCholeskyLower(s_, pool_);
    if (failed >= 0)
      return Status::Error(Status::Code::kNotPositiveDefinite,
                           "evaluator: dense block of the factor is not positive definite", failed);
    for (int64_t i = 0; i < mt; ++i) logdet += 2.0 * std::log(s_(i, i));
    tail_ = s_.bottomRightCorner(w, w);
  }
  double logdet_rx = 0;
  for (int i = 0; i < p_; ++i) logdet_rx += 2.0 * std::log(tail_(i, i));
  const double r = tail_(p_, p_);
  logdet_l_ = logdet;
  logdet_rx_ = logdet_rx;
  pwrss_ = r * r;

  // beta_c solves R_X beta_c = r_Xy with R_X = L_S(X, X)'; map back from the centered basis
  // X_c = X M, M = I - e_0 s' / v: beta = M beta_c (+ y shift / v on the intercept) and
  // R_X = R_Xc M^{-1} = R_Xc (I + e_0 s' / v), which changes row 0 only.
  CenteredBeta(beta_);
  for (int i = 0; i < p_; ++i)
    for (int j = 0; j < p_; ++j) rx_(i, j) = j >= i ? tail_(j, i) : 0.0;
  const cpu::CenteringInfo& cen = cp_.centering;
  if (cen.centered) {
    beta_(0) += (cen.y_shift - cen.x_shift.dot(beta_)) / cen.intercept;
    for (int j = 1; j < p_; ++j) rx_(0, j) += rx_(0, 0) * cen.x_shift(j) / cen.intercept;
  }
  return Status::Ok();
}

const Eigen::MatrixXd& CpuEvaluator::RestFactor() const {
  if (sparse_ && !dense_factor_valid_) {
    const int64_t w = p_ + 1, m = cp_.m;
    pool_.ParallelFor(num_chunks_, [&](int64_t chunk) {
      double* xy = chunk_xy_.data() + chunk * w * m;
      std::fill(xy, xy + w * m, 0.0);
      const int64_t end = std::min(cp_.l0, (chunk + 1) * chunk_size_);
      for (int64_t c = chunk * chunk_size_; c < end; ++c) AddTailProducts<0>(c, xy);
    });
    FormSchurComplement();
    cpu::DenseCholeskyLower(s_, pool_);
    dense_factor_valid_ = true;
  }
  return s_;
}

Eigen::MatrixXd CpuEvaluator::LevelFactor(int64_t c) const {
  const int q0 = cp_.q0;
  Eigen::MatrixXd l = Eigen::Map<const Eigen::MatrixXd>(lfac_.data() + c * q0 * q0, q0, q0);
  return l.triangularView<Eigen::Lower>();
}

}  // namespace lmm
