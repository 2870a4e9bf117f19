// The optimizer's start for a streamed random-intercept model: the moment estimate that
// likelihood/start_values.h (MomentStart) computes from the rows of an in-memory frame, computed
// here from the per-cluster sums, so that both paths start BOBYQA at the same theta (up to
// rounding) and follow the same path.
//
// For (1 | g) the stored panel of cluster c is G_c = [X_c y_c]'1 (centered), so the OLS residuals'
// cluster sums are s_c = G_c(y) - G_c(X)' beta_ols, and their sum of squares is
// A_yy - A_yX A_XX^{-1} A_Xy; the one-way ANOVA of start_values.cc needs only these, the cluster
// sizes and n.
#pragma once

#include <optional>
#include <vector>

#include "lmm/model_frame.h"
#include "scale/collective.h"
#include "scale/stream_pieces.h"

namespace lmm::scale {

// theta (layout order), or nullopt when the term is not a plain random intercept (as MomentStart).
// Collective: every process must call it.
std::optional<std::vector<double>> StreamMomentStart(const ModelFrame& frame,
                                                     const StreamPieces& pieces,
                                                     Collective& collective);

}  // namespace lmm::scale
