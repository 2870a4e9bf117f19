#include "likelihood/cpu/response_update.h"

#include <cstring>
#include <string>
#include <vector>

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

// A(y, X_k) and A(y, y): sum_i (long double)(y_i - y_shift) v_ik, k = 0..p, in row order. P > 0:
// p known at compile time, so that the p + 1 long double sums stay in registers; P == 0: any p.
template <int P>
void CrossWithY(const ModelFrame& frame, double y_shift, CrossProducts& cp) {
  const int p = P > 0 ? P : cp.p;
  const int64_t n = cp.n;
  const double* y = frame.y.data();
  const double* x = frame.x.data();
  const double* x_shift = cp.centering.x_shift.data();
  const int64_t ry = cp.mt + p;
  if constexpr (P > 0) {
    long double sum[P + 1] = {};
    for (int64_t i = 0; i < n; ++i) {
      const double yc = y[i] - y_shift;
      for (int k = 0; k < P; ++k)
        sum[k] += static_cast<long double>(yc) * (x[k * n + i] - x_shift[k]);
      sum[P] += static_cast<long double>(yc) * yc;
    }
    for (int k = 0; k <= P; ++k) cp.a(ry, cp.mt + k) = static_cast<double>(sum[k]);
  } else {
    std::vector<long double> sum(static_cast<size_t>(p) + 1, 0.0L);
    for (int64_t i = 0; i < n; ++i) {
      const double yc = y[i] - y_shift;
      for (int k = 0; k < p; ++k)
        sum[k] += static_cast<long double>(yc) * (x[k * n + i] - x_shift[k]);
      sum[p] += static_cast<long double>(yc) * yc;
    }
    for (int k = 0; k <= p; ++k) cp.a(ry, cp.mt + k) = static_cast<double>(sum[k]);
  }
}

}  // namespace

void ReplaceResponse(const ModelFrame& frame, CrossProducts& cp) {
  CheckMatches(frame, cp);
  const int64_t n = cp.n;
  const int p = cp.p;
  const int q0 = cp.q0;
  const double* y = frame.y.data();
  CenteringInfo& cen = cp.centering;
  // MakeCentering: the mean in long double, only with an intercept.
  if (cen.centered) {
    long double s = 0;
    for (int64_t i = 0; i < n; ++i) s += y[i];
    cen.y_shift = static_cast<double>(s / n);
  } else {
    cen.y_shift = 0;
  }
  const double y_shift = cen.y_shift;

  // Panels of term 0: the last row of each level's m_c x q0 column-major panel is y's.
  for (int64_t c = 0; c < cp.l0; ++c) {
    const int64_t mc = cp.panel_rows(c);
    double* panel = cp.panel.data() + cp.panel_off[c];
    for (int a = 0; a < q0; ++a) panel[a * mc + mc - 1] = 0.0;
  }
  const RandomEffectTerm& t0 = frame.random[static_cast<size_t>(cp.term0)];
  for (int64_t i = 0; i < n; ++i) {
    const double yc = y[i] - y_shift;
    const int64_t c = t0.level[i];
    const int64_t mc = cp.panel_rows(c);
    double* last = cp.panel.data() + cp.panel_off[c] + mc - 1;
    for (int a = 0; a < q0; ++a) last[a * mc] += yc * t0.z(i, a);
  }

  // A's row y: the rest blocks' columns in double, the [X y] columns in long double.
  const int64_t ry = cp.mt + p;
  for (int64_t j = 0; j < cp.mt; ++j) cp.a(ry, j) = 0.0;
  for (const RestBlock& rb : cp.rest) {
    const RandomEffectTerm& t = frame.random[static_cast<size_t>(rb.term)];
    for (int64_t i = 0; i < n; ++i) {
      const double yc = y[i] - y_shift;
      const int64_t base = rb.offset + t.level[i] * int64_t{rb.q};
      for (int e = 0; e < rb.q; ++e) cp.a(ry, base + e) += yc * t.z(i, e);
    }
  }
  switch (p) {
    case 1:
      CrossWithY<1>(frame, y_shift, cp);
      break;
    case 2:
      CrossWithY<2>(frame, y_shift, cp);
      break;
    case 3:
      CrossWithY<3>(frame, y_shift, cp);
      break;
    case 4:
      CrossWithY<4>(frame, y_shift, cp);
      break;
    default:
      CrossWithY<0>(frame, y_shift, cp);
  }
  // Column y mirrors row y (A is stored with both triangles).
  for (int64_t j = 0; j < cp.m; ++j) cp.a(j, ry) = cp.a(ry, j);
}

bool SameResponsePieces(const CrossProducts& a, const CrossProducts& b) {
  auto same = [](const double* x, const double* y, size_t count) {
    return count == 0 || std::memcmp(x, y, count * sizeof(double)) == 0;
  };
  return a.centering.centered == b.centering.centered &&
         same(&a.centering.y_shift, &b.centering.y_shift, 1) && a.panel.size() == b.panel.size() &&
         same(a.panel.data(), b.panel.data(), a.panel.size()) && a.a.rows() == b.a.rows() &&
         a.a.cols() == b.a.cols() && same(a.a.data(), b.a.data(), static_cast<size_t>(a.a.size()));
}

}  // namespace lmm::cpu
