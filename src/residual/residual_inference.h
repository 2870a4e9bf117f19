// Standard errors and intervals of a fit with a residual structure, as Stata's `mixed` reports
// them: the observed information of the likelihood (ML) or restricted likelihood (REML), beta
// profiled out, over all variance parameters jointly -- Stata's metric for the random-effect
// terms and sigma (StataMetric: log SDs, atanh correlations, log sigma) and the structure's
// unconstrained parameters u -- then the delta method to the reported scale.
#pragma once

#include <span>
#include <vector>

#include "likelihood/residual/whitened_evaluator.h"
#include "lmm/fit_result.h"
#include "residual/clusters.h"
#include "residual/residual_structure.h"

namespace lmm::residual {

struct ResidualInference {
  std::vector<VarianceComponent> terms;  // as inference::EstimateVarianceComponents, joint SEs
  VarianceComponent residual;            // var(e) of the first by level (sigma^2)
  ResidualStructureReport structure;
};

// `evaluator` is left at (theta_hat, u_hat). Parameters on a boundary are held fixed (NaN SEs).
ResidualInference EstimateResidualInference(WhitenedEvaluator& evaluator, const ModelFrame& frame,
                                            const Clusters& clusters, ResidualStructure& structure,
                                            std::span<const double> theta_hat,
                                            std::span<const double> u_hat, bool reml, double level);

}  // namespace lmm::residual
