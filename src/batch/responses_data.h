// The data side of `fit --responses`: the rows every response shares, and each response's values
// as BuildModelFrame's response step makes them, so that one model frame serves all responses.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "lmm/data_frame.h"

namespace lmm::batch {

// Rows of `data` listed in `rows` (data-frame indices), every column.
DataFrame SelectDataRows(const DataFrame& data, const std::vector<int64_t>& rows);

// One response of the shared frame: the formula with that left-hand side, the response label, y
// on the used rows minus `offset` (ModelFrame's formula, response, y, response_offset).
struct PreparedResponse {
  std::string formula;
  std::string label;
  Eigen::VectorXd y;
  double offset = 0;
};

// The response of `formula_text` on data rows `rows` (the frame's used rows, indices into
// `data`); `intercept`: whether the frame's X has an intercept. Decimals with more digits than
// doubles hold are handled exactly as BuildModelFrame does (the first value is subtracted and the
// remainders added back; without an intercept the offset goes back into y). Throws
// lmm::Error(kData) for a response that is not numeric or is constant in those rows.
PreparedResponse PrepareResponse(const std::string& formula_text, const DataFrame& data,
                                 const std::vector<int64_t>& rows, bool intercept);

}  // namespace lmm::batch
