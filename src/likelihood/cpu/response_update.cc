#include "likelihood/cpu/response_update.h"

#include <string>

#include "lmm/error.h"

namespace lmm::cpu {
namespace {

void CheckMatches(const ModelFrame& frame, const CrossProducts& cp) {
  auto fail = [](const std::string& what) {
    throw Error(ErrorKind::kInternal,
                "response update: the frame does not match the cross-products (" + what + ")");
  };
  const int64_t n = frame.n();
  if (n != cp.n || frame.x.rows() != n || frame.p() != cp.p) fail("rows or columns of X");
  if (cp.term0 < 0 || cp.term0 >= static_cast<int>(frame.random.size())) fail("term 0");
  auto check_term = [&](int term, int q, int64_t levels) {
    const RandomEffectTerm& t = frame.random[static_cast<size_t>(term)];
    if (t.q() != q || t.levels != levels || static_cast<int64_t>(t.level.size()) != n ||
        t.z.rows() != n)
      fail("random-effect term " + t.group);
    for (int32_t l : t.level)
      if (l < 0 || l >= levels) fail("level index of " + t.group);
  };
  check_term(cp.term0, cp.q0, cp.l0);
  for (const RestBlock& rb : cp.rest) {
    if (rb.term < 0 || rb.term >= static_cast<int>(frame.random.size())) fail("rest block");
    check_term(rb.term, rb.q, rb.levels);
  }
  if (static_cast<int64_t>(cp.panel_off.size()) != cp.l0 + 1 ||
      static_cast<int64_t>(cp.row_off.size()) != cp.l0 + 1 || cp.a.rows() != cp.m ||
      cp.a.cols() != cp.m || cp.m != cp.mt + cp.p + 1 || cp.centering.x_shift.size() != cp.p)
    fail("storage");
}

}  // namespace

void ReplaceResponse(const ModelFrame& frame, CrossProducts& cp) {
  CheckMatches(frame, cp);
  FillResponsePieces(frame, cp);
}

}  // namespace lmm::cpu
