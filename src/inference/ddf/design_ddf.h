// The "exact" DDF methods of Stata's mixed (Methods and formulas, Denominator degrees of freedom),
// which depend on the design only:
//  residual: n - rank(X) for every coefficient;
//  between-within (Stata's repeated; SAS DDFM=BETWITHIN; Schluchter & Elashoff 1990): one
//    grouping factor with G levels; a column constant within every level is a between-subject
//    column and gets G - (number of between columns), the others n - G - (number of within
//    columns);
//  containment (Stata's anova): a column that is also a column of random-effect terms (same name)
//    gets min over those terms of (levels of the grouping factor - 1); the others n - rank(X, Z).
// rank(X, Z) = rank(Z) + rank(X'X - X'Z (Z'Z)^+ Z'X), both from cluster cross-products.
#pragma once

#include <vector>

#include "inference/ddf/cluster_partition.h"
#include "lmm/model_frame.h"

namespace lmm::inference::ddf {

std::vector<double> ResidualDf(const ModelFrame& frame);
// Throws lmm::UsageError unless all random terms share one grouping factor.
std::vector<double> BetweenWithinDf(const ModelFrame& frame);
std::vector<double> ContainmentDf(const ModelFrame& frame, const ClusterPartition& partition);
int64_t RankXZ(const ModelFrame& frame, const ClusterPartition& partition);

}  // namespace lmm::inference::ddf
