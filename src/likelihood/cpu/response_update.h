// Many responses, one design (fit --responses): the cross-products of a model whose response
// changes while X and the random-effect terms stay the same.
//
// Of the pieces BuildCrossProducts forms (cross_products.h), these depend on y, with v_i the
// centered [X y] row of observation i (x_ij - x_shift_j, y_i - y_shift) and z_ti the row of term
// t's Z:
//   centering.y_shift = mean(y)                       (long double sum, with an intercept only)
//   panel, level c of term 0, row y, column a:        sum_{i in c} (y_i - y_shift) z_0ia
//   A, row y, columns of rest block b (level l):      sum_{i in l} (y_i - y_shift) z_bie
//   A, row y, columns of [X y]:                       sum_i (long double) v_ip v_ik, k <= p
// and A's column y, its mirror. Everything else (D, tiles, row indices, the X rows of the panels
// and of A, x_shift) depends on X and Z alone. Replacing the pieces costs O(n (q0 + sum q_b + p))
// and no sorting or allocation.
#pragma once

#include "likelihood/cpu/cross_products.h"
#include "lmm/model_frame.h"

namespace lmm::cpu {

// Replaces the response pieces of `cp`, which BuildCrossProducts built for a frame equal to
// `frame` except (possibly) in y and response_offset, by those of frame.y. The result equals
// BuildCrossProducts(frame, layout) bit for bit: both form these pieces with FillResponsePieces
// (cross_products.h). Throws lmm::Error(kInternal) when the frame's dimensions or levels do not
// match `cp`.
void ReplaceResponse(const ModelFrame& frame, CrossProducts& cp);

}  // namespace lmm::cpu
