// The response hash of fit results (inference::ResponseHash: FNV-1a 64 over nobs and the bytes of
// each used response value) for several responses at once.
#pragma once

#include <Eigen/Dense>
#include <span>
#include <string>
#include <vector>

namespace lmm::batch {

// ResponseHash of a frame whose y is *ys[k], for each k: the same 16 hex digits. FNV-1a is one
// serial chain of a multiplication per byte (bound by the multiply's latency, 8 per value); the
// chains of up to four responses advance together here so that their multiplications overlap.
std::vector<std::string> ResponseHashes(std::span<const Eigen::VectorXd* const> ys);

}  // namespace lmm::batch
