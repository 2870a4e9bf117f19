#include "inference/ddf/small_sample.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <optional>

#include "inference/ddf/cluster_partition.h"
#include "inference/ddf/design_ddf.h"
#include "inference/ddf/f_distribution.h"
#include "inference/ddf/information_inverse.h"
#include "inference/ddf/kenward_roger.h"
#include "inference/ddf/linear_hypothesis.h"
#include "inference/ddf/lme4_varpar.h"
#include "inference/ddf/satterthwaite.h"
#include "inference/ddf/type3_contrasts.h"
#include "inference/ddf/variance_pieces.h"
#include "inference/distributions.h"
#include "lmm/error.h"

namespace lmm::inference::ddf {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Hypothesis {
  std::string label, kind;
  Eigen::MatrixXd l;
  Eigen::VectorXd rhs;
};

std::vector<Hypothesis> Hypotheses(const ModelFrame& frame, const SmallSampleOptions& options) {
  std::vector<Hypothesis> out;
  const int p = frame.p();
  auto rows_of = [&](const std::vector<int>& columns) {
    Eigen::MatrixXd l = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(columns.size()), p);
    for (size_t i = 0; i < columns.size(); ++i) l(static_cast<Eigen::Index>(i), columns[i]) = 1;
    return l;
  };
  if (options.term_tests) {
    const bool known = static_cast<int>(frame.fixed_term.size()) == p;
    std::vector<int> others;
    const std::optional<std::vector<TermHypothesis>> type3 = Type3Hypotheses(frame);
    if (type3) {
      for (const TermHypothesis& h : *type3)
        if (h.l.rows() > 0) out.push_back({h.term, "term", h.l, Eigen::VectorXd::Zero(h.l.rows())});
    } else if (known) {
      for (size_t t = 0; t < frame.fixed_term_labels.size(); ++t) {
        std::vector<int> columns;
        for (int j = 0; j < p; ++j)
          if (frame.fixed_term[j] == static_cast<int>(t)) columns.push_back(j);
        if (!columns.empty())
          out.push_back({frame.fixed_term_labels[t], "term", rows_of(columns),
                         Eigen::VectorXd::Zero(static_cast<Eigen::Index>(columns.size()))});
      }
    } else {
      for (int j = 0; j < p; ++j)
        if (frame.fixed_names[j] != "(Intercept)")
          out.push_back({frame.fixed_names[j], "term", rows_of({j}), Eigen::VectorXd::Zero(1)});
    }
    for (int j = 0; j < p; ++j)
      if (frame.fixed_names[j] != "(Intercept)") others.push_back(j);
    if (!others.empty())
      out.push_back({"all but (Intercept)", "model", rows_of(others),
                     Eigen::VectorXd::Zero(static_cast<Eigen::Index>(others.size()))});
  }
  for (const std::string& text : options.tests) {
    const LinearHypothesis h = ParseHypothesis(text, frame.fixed_names);
    out.push_back({text, "contrast", h.l, h.rhs});
  }
  return out;
}

// The Wald statistic and its rank.
double Wald(const Eigen::MatrixXd& l, const Eigen::VectorXd& d, const Eigen::MatrixXd& cov) {
  return d.dot((l * cov * l.transpose()).ldlt().solve(d));
}

}  // namespace

std::string DdfMethodName(DdfMethod method) {
  switch (method) {
    case DdfMethod::kNone:
      return "none";
    case DdfMethod::kResidual:
      return "residual";
    case DdfMethod::kBetweenWithin:
      return "between-within";
    case DdfMethod::kContainment:
      return "containment";
    case DdfMethod::kSatterthwaite:
      return "satterthwaite";
    case DdfMethod::kKenwardRoger:
      return "kenward-roger";
  }
  return "none";
}

void ApplySmallSampleInference(const FittedModel& model, const SmallSampleOptions& options,
                               FitResult* fit) {
  const ModelFrame& frame = model.frame;
  const DdfMethod method = options.method;
  const bool approx = method == DdfMethod::kSatterthwaite || method == DdfMethod::kKenwardRoger;
  if (approx && !model.reml)
    throw UsageError(
        fmt::format("--ddf {} requires REML estimation; drop --ml (as Stata's mixed, "
                    "Satterthwaite and Kenward-Roger are defined for REML only)",
                    DdfMethodName(method)));
  fit->ddf_method = DdfMethodName(method);
  const int p = frame.p();
  // The reported estimates (they include any response offset the frame took out of y).
  Eigen::VectorXd beta(p);
  for (int j = 0; j < p; ++j) beta(j) = fit->fixed_effects[static_cast<size_t>(j)].estimate;
  Eigen::MatrixXd cov = model.cov_beta;
  std::vector<double> df(static_cast<size_t>(p), std::numeric_limits<double>::infinity());

  ClusterPartition partition;
  if (method == DdfMethod::kContainment || approx) partition = PartitionClusters(frame);
  VariancePieces pieces;
  Eigen::MatrixXd w;  // cov(phi_hat)
  if (method == DdfMethod::kResidual) df = ResidualDf(frame);
  if (method == DdfMethod::kBetweenWithin) df = BetweenWithinDf(frame);
  if (method == DdfMethod::kContainment) df = ContainmentDf(frame, partition);
  if (approx) {
    // A fit on the GPU backend computes the pieces of one-term models on the device too (the same
    // sums to rounding); anything it cannot do falls back to the CPU engine.
    std::string gpu_failure;
    const bool on_gpu =
        fit->backend == "gpu" && ClusterMathApplies(frame, partition) &&
        ComputeVariancePiecesOnGpu(frame, partition, model.layout, model.theta, model.sigma2,
                                   model.beta, options.threads, &pieces, &gpu_failure);
    if (!gpu_failure.empty())
      fit->backend_note +=
          (fit->backend_note.empty() ? "" : "; ") +
          ("the small-sample variance pieces ran on the CPU: the GPU failed (" + gpu_failure + ")");
    if (!on_gpu)
      pieces = ComputeVariancePieces(frame, partition, model.layout, model.theta, model.sigma2,
                                     model.beta, options.threads);
    const bool observed =
        options.information == InformationChoice::kObserved ||
        (options.information == InformationChoice::kDefault && method == DdfMethod::kSatterthwaite);
    fit->ddf_information = observed ? "observed" : "expected";
    w = InverseInformation(observed ? pieces.observed_information : pieces.expected_information);
    // lmerTest's Satterthwaite: the observed information in lme4's (theta, sigma), which differs
    // from that in phi at a singular fit (lme4_varpar.h).
    if (method == DdfMethod::kSatterthwaite && observed)
      if (std::optional<Eigen::MatrixXd> v =
              Lme4VarparCovariance(frame, model.layout, model.theta, model.sigma2, pieces))
        w = *std::move(v);
    if (method == DdfMethod::kKenwardRoger) {
      cov = KenwardRogerCovariance(pieces, w);
      fit->se_method = "kenward-roger";
      fit->fixed_covariance = cov;
    }
    for (int j = 0; j < p; ++j) {
      Eigen::MatrixXd l = Eigen::MatrixXd::Zero(1, p);
      l(0, j) = 1;
      df[j] = method == DdfMethod::kSatterthwaite
                  ? SatterthwaiteDf(pieces, w, l.row(0).transpose())
                  : KenwardRogerTest(pieces, w, cov, beta, l, Eigen::VectorXd::Zero(1)).dendf;
    }
  }

  if (method != DdfMethod::kNone) {
    const double upper = 0.5 + options.level / 2;
    for (int j = 0; j < p; ++j) {
      FixedEffect& fe = fit->fixed_effects[static_cast<size_t>(j)];
      fe.std_error = std::sqrt(cov(j, j));
      fe.statistic = fe.estimate / fe.std_error;
      fe.df = df[j];
      const bool normal = !std::isfinite(df[j]) || df[j] <= 0;
      fe.p_value = normal ? NormalTwoSidedP(fe.statistic) : TTwoSidedP(fe.statistic, df[j]);
      const double crit = normal ? NormalQuantile(upper) : TQuantile(upper, df[j]);
      fe.conf_low = fe.estimate - crit * fe.std_error;
      fe.conf_high = fe.estimate + crit * fe.std_error;
      if (normal) fe.df = kNaN;
    }
  }

  fit->tests.clear();
  for (const Hypothesis& h : Hypotheses(frame, options)) {
    FixedEffectsTest t;
    t.term = h.label;
    t.kind = h.kind;
    const Eigen::VectorXd d = h.l * beta - h.rhs;
    t.numdf = static_cast<int>(Eigen::FullPivLU<Eigen::MatrixXd>(h.l).rank());
    t.estimate = h.l.rows() == 1 ? d(0) : kNaN;
    t.std_error = h.l.rows() == 1 ? std::sqrt(h.l.row(0).dot(cov * h.l.row(0).transpose())) : kNaN;
    if (method == DdfMethod::kSatterthwaite || method == DdfMethod::kKenwardRoger) {
      const HypothesisTest r = method == DdfMethod::kSatterthwaite
                                   ? SatterthwaiteTest(pieces, w, beta, h.l, h.rhs)
                                   : KenwardRogerTest(pieces, w, cov, beta, h.l, h.rhs);
      t.statistic = r.f;
      t.numdf = r.numdf;
      t.dendf = r.dendf;
      t.p_value = FUpperP(r.f, r.numdf, r.dendf);
    } else {
      const double chi2 = Wald(h.l, d, cov);
      // Exact methods: F with the coefficients' common df; if they differ, Stata reports chi2.
      double common = kNaN;
      if (method != DdfMethod::kNone) {
        bool same = true;
        for (int j = 0; j < p; ++j)
          if (h.l.col(j).cwiseAbs().maxCoeff() > 0) {
            if (std::isnan(common)) common = df[j];
            same = same && df[j] == common;
          }
        if (!same) common = kNaN;
      }
      if (std::isnan(common)) {
        t.statistic = chi2;
        t.dendf = kNaN;
        t.p_value = ChiSquaredUpperP(chi2, t.numdf);
      } else {
        t.statistic = chi2 / t.numdf;
        t.dendf = common;
        t.p_value = FUpperP(t.statistic, t.numdf, common);
      }
    }
    fit->tests.push_back(t);
  }
}

}  // namespace lmm::inference::ddf
