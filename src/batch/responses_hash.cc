#include "batch/responses_hash.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace lmm::batch {
namespace {

constexpr uint64_t kOffsetBasis = 1469598103934665603ULL;
constexpr uint64_t kPrime = 1099511628211ULL;
constexpr size_t kChains = 4;

// One FNV-1a step per byte of v, least significant first (as ResponseHash mixes a word).
inline uint64_t Mix(uint64_t h, uint64_t v) {
  for (int b = 0; b < 8; ++b) {
    h ^= (v >> (8 * b)) & 0xffU;
    h *= kPrime;
  }
  return h;
}

inline uint64_t Bits(double v) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}

std::string Hex(uint64_t h) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

}  // namespace

std::vector<std::string> ResponseHashes(std::span<const Eigen::VectorXd* const> ys) {
  std::vector<std::string> out;
  out.reserve(ys.size());
  for (size_t g = 0; g < ys.size(); g += kChains) {
    const size_t k = std::min(kChains, ys.size() - g);
    uint64_t h[kChains] = {};
    Eigen::Index common = ys[g]->size();
    for (size_t c = 0; c < k; ++c) {
      h[c] = Mix(kOffsetBasis, static_cast<uint64_t>(ys[g + c]->size()));
      common = std::min(common, ys[g + c]->size());
    }
    if (k == kChains) {
      const double* y0 = ys[g]->data();
      const double* y1 = ys[g + 1]->data();
      const double* y2 = ys[g + 2]->data();
      const double* y3 = ys[g + 3]->data();
      uint64_t h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3];
      for (Eigen::Index i = 0; i < common; ++i) {
        const uint64_t v0 = Bits(y0[i]), v1 = Bits(y1[i]), v2 = Bits(y2[i]), v3 = Bits(y3[i]);
        for (int b = 0; b < 8; ++b) {
          h0 = (h0 ^ ((v0 >> (8 * b)) & 0xffU)) * kPrime;
          h1 = (h1 ^ ((v1 >> (8 * b)) & 0xffU)) * kPrime;
          h2 = (h2 ^ ((v2 >> (8 * b)) & 0xffU)) * kPrime;
          h3 = (h3 ^ ((v3 >> (8 * b)) & 0xffU)) * kPrime;
        }
      }
      h[0] = h0, h[1] = h1, h[2] = h2, h[3] = h3;
    } else {
      common = 0;
    }
    for (size_t c = 0; c < k; ++c) {
      const Eigen::VectorXd& y = *ys[g + c];
      for (Eigen::Index i = common; i < y.size(); ++i) h[c] = Mix(h[c], Bits(y(i)));
      out.push_back(Hex(h[c]));
    }
  }
  return out;
}

}  // namespace lmm::batch
