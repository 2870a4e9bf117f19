// Host storage behind kernels::VarianceClusterView (kernels/variance_math.h) for `clusters`
// clusters: the per-cluster factors and outputs, entry-major as the view's stride says. Used by
// the host run of the per-cluster engine (variance_pieces.cc) and its tests. Not copyable: the
// view points into the vectors.
#pragma once

#include <cstdint>
#include <vector>

#include "variance_math.h"

namespace lmm::inference::ddf {

struct VarianceWorkspace {
  std::vector<double> tz, tzx, tx, k, yx, h1, y2, bb, b2, scal;
  kernels::VarianceClusterView view;

  VarianceWorkspace(int64_t clusters, int q, int w, int nr)
      : tz(Size(clusters, q * q)),
        tzx(Size(clusters, q * w)),
        tx(Size(clusters, kernels::PackedSize(w))),
        k(tz.size()),
        yx(tzx.size()),
        h1(tzx.size()),
        y2(tzx.size()),
        bb(tzx.size()),
        b2(tzx.size()),
        scal(Size(clusters, kernels::VarianceScalars(nr))) {
    view.stride = clusters;
    view.q = q;
    view.w = w;
    view.nr = nr;
    view.tz = tz.data();
    view.tzx = tzx.data();
    view.tx = tx.data();
    view.k = k.data();
    view.yx = yx.data();
    view.h1 = h1.data();
    view.y2 = y2.data();
    view.bb = bb.data();
    view.b2 = b2.data();
    view.scal = scal.data();
  }
  VarianceWorkspace(const VarianceWorkspace&) = delete;
  VarianceWorkspace& operator=(const VarianceWorkspace&) = delete;

 private:
  static size_t Size(int64_t clusters, int per_cluster) {
    return static_cast<size_t>(clusters) * static_cast<size_t>(per_cluster);
  }
};

}  // namespace lmm::inference::ddf
