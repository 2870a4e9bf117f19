#include "likelihood/response_batch.h"

#include <algorithm>
#include <utility>

#include "likelihood/cpu/response_update.h"
#include "lmm/error.h"

namespace lmm {

ResponsePieces MakeResponsePieces(const ModelFrame& frame, const cpu::CrossProducts& shared) {
  if (!shared.rest.empty() || frame.random.size() != 1)
    throw Error(ErrorKind::kInternal,
                "response batch: the model has more than one random-effect term");
  cpu::CrossProducts cp = shared;
  cpu::ReplaceResponse(frame, cp);
  ResponsePieces out;
  const int q = cp.q0, w = cp.p + 1;
  const int64_t clusters = cp.l0;
  out.yz.resize(static_cast<size_t>(q * clusters));
  for (int64_t c = 0; c < clusters; ++c) {
    // Level c's panel is [X_c y_c]'Z_c (w x q column-major): row w - 1 is y'Z_c.
    const double* panel = cp.panel.data() + cp.panel_off[c];
    for (int k = 0; k < q; ++k) out.yz[k * clusters + c] = panel[w - 1 + k * w];
  }
  cp.d = {};
  cp.panel = {};
  cp.panel_off = {};
  cp.row_index = {};
  cp.row_off = {};
  cp.tile_off = {};
  cp.tiles = {};
  out.finish = std::move(cp);
  return out;
}

gpu::HostClusters WithResponse(const gpu::HostClusters& design, const ResponsePieces& pieces) {
  gpu::HostClusters h = design;
  const int q = h.q, w = h.w;
  const int64_t n = h.clusters;
  for (int k = 0; k < q; ++k)
    for (int64_t c = 0; c < n; ++c) h.panel[(w - 1 + k * w) * n + c] = pieces.yz[k * n + c];
  return h;
}

gpu::ClusterReduction ResponseClusterPass(const kernels::ClusterView& design,
                                          const kernels::ResponseView& responses, int slot,
                                          const double* lambda, int64_t begin, int64_t end) {
  using namespace kernels;
  const int w = design.w;
  gpu::ClusterReduction r;
  r.downdate.assign(PackedSize(w), 0.0);
  double d[kMaxClusterQ * kMaxClusterQ], l[kMaxClusterQ * kMaxClusterQ];
  double panel[kMaxClusterW * kMaxClusterQ];
  for (int64_t c = begin; c < end; ++c) {
    double logdet = 0;
    if (!EliminateResponseCluster(design, responses, slot, c, lambda, d, l, panel, &logdet)) {
      if (r.first_failed < 0) r.first_failed = c;
      continue;
    }
    r.logdet += logdet;
    for (int i = 0; i < w; ++i)
      for (int j = 0; j <= i; ++j)
        r.downdate[PackedIndex(i, j)] += DowndateEntry(design.q, w, panel, i, j);
  }
  return r;
}

CpuResponseBatch::CpuResponseBatch(gpu::HostClusters design, int capacity)
    : design_(std::move(design)), view_(design_.view()), capacity_(capacity) {
  yz_.assign(static_cast<size_t>(capacity_) * design_.q * design_.clusters, 0.0);
}

Status PackGroup(std::span<const ResponsePieces* const> pieces, int capacity,
                 const gpu::HostClusters& design, std::vector<double>* yz) {
  if (static_cast<int>(pieces.size()) > capacity)
    return Status::Error(Status::Code::kInvalidArgument, "response batch: group too large");
  const size_t per_slot = static_cast<size_t>(design.q * design.clusters);
  std::fill(yz->begin(), yz->end(), 0.0);
  for (size_t s = 0; s < pieces.size(); ++s) {
    if (pieces[s] == nullptr) continue;
    if (pieces[s]->yz.size() != per_slot)
      return Status::Error(Status::Code::kInvalidArgument,
                           "response batch: response pieces do not match the design");
    std::copy(pieces[s]->yz.begin(), pieces[s]->yz.end(), yz->begin() + s * per_slot);
  }
  return Status::Ok();
}

Status CpuResponseBatch::LoadGroup(std::span<const ResponsePieces* const> pieces) {
  return PackGroup(pieces, capacity_, design_, &yz_);
}

Status CpuResponseBatch::Evaluate(std::span<const int> slots, std::span<const double> lambdas,
                                  std::vector<gpu::ClusterReduction>* out) {
  const int q = design_.q;
  if (lambdas.size() != slots.size() * q * q)
    return Status::Error(Status::Code::kInvalidArgument, "response batch: wrong number of Lambdas");
  const kernels::ResponseView responses{design_.clusters, q, capacity_, yz_.data()};
  out->resize(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i] < 0 || slots[i] >= capacity_)
      return Status::Error(Status::Code::kInvalidArgument, "response batch: slot out of range");
    (*out)[i] = ResponseClusterPass(view_, responses, slots[i], lambdas.data() + i * q * q, 0,
                                    design_.clusters);
  }
  return Status::Ok();
}

}  // namespace lmm
