// Batched evaluation of many responses that share one one-term design (fit --responses with one
// random-effect term, kernels/response_math.h): the interface the lock-step fits
// (lockstep_coordinator.h) evaluate through, its CPU implementation, and each response's pieces.
//
// The design's per-cluster cross-products (D_c, X_c'Z_c) are packed once (gpu::HostClusters of
// the shared cpu::CrossProducts; their y row is not used). Per response only y'Z_c (q per
// cluster) and the border's last row differ; the border and the centering stay on the host for
// the (p+1) x (p+1) finish (gpu::FinishOneTerm), which each fit runs itself.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "likelihood/cpu/cross_products.h"
#include "likelihood/gpu/cluster_pack.h"
#include "likelihood/gpu/one_term_host.h"
#include "likelihood/status.h"
#include "lmm/model_frame.h"
#include "response_math.h"

namespace lmm {

// One response's own pieces.
struct ResponsePieces {
  std::vector<double> yz;  // q x clusters: y'Z_c entry k at [k * clusters + c]
  cpu::CrossProducts
      finish;  // p, a ([X y]'[X y], (p+1) x (p+1)) and centering; no per-level arrays
};

// The pieces of frame.y on `shared`'s design (`shared`: cpu::BuildCrossProducts of a frame equal
// to `frame` except in the response; one random-effect term). Formed by cpu::ReplaceResponse on a
// copy, so they are the numbers the CPU backend uses for this response, bit for bit. Throws
// lmm::Error as ReplaceResponse does, and kInternal when the model has more than one term.
ResponsePieces MakeResponsePieces(const ModelFrame& frame, const cpu::CrossProducts& shared);

// The design's clusters with `pieces`' y row in place of the design's: what
// gpu::PackClusters(BuildCrossProducts(frame)) would give for the response (modes on the host).
gpu::HostClusters WithResponse(const gpu::HostClusters& design, const ResponsePieces& pieces);

// Clusters [begin, end) of the response in `slot` at Lambda = `lambda`, summed in cluster order
// (the host reference of the batched kernel; as gpu::HostClusterPass for one response).
gpu::ClusterReduction ResponseClusterPass(const kernels::ClusterView& design,
                                          const kernels::ResponseView& responses, int slot,
                                          const double* lambda, int64_t begin, int64_t end);

// The host side of ResponseBatch::LoadGroup: pieces[s]'s y'Z_c into slot s of `yz` (ResponseView
// layout: `capacity` slots of design.q x design.clusters, already sized; the other slots zero).
// kInvalidArgument when pieces.size() > capacity or a response's pieces do not fit the design.
Status PackGroup(std::span<const ResponsePieces* const> pieces, int capacity,
                 const gpu::HostClusters& design, std::vector<double>* yz);

// K responses evaluated at K thetas per call. A group of up to capacity() responses is loaded
// (once), then evaluated many times, each call at some of its slots. Not thread-safe: one caller.
class ResponseBatch {
 public:
  virtual ~ResponseBatch() = default;

  virtual int capacity() const = 0;
  // Number of clusters and q, w of the design.
  virtual const kernels::ClusterView& design() const = 0;
  // Makes pieces[s] the response of slot s (pieces.size() <= capacity(); nullptr: the slot is
  // empty and will not be evaluated). The pointers need not outlive the call.
  virtual Status LoadGroup(std::span<const ResponsePieces* const> pieces) = 0;
  // For each i: the reduction of slot slots[i] at Lambda lambdas[i q^2, (i+1) q^2) (column-major),
  // into out[i] (resized). kDevice when the accelerator failed; a cluster that cannot be factored
  // is out[i].first_failed, not an error.
  virtual Status Evaluate(std::span<const int> slots, std::span<const double> lambdas,
                          std::vector<gpu::ClusterReduction>* out) = 0;
};

// On the host: ResponseClusterPass over every cluster, one slot after another.
class CpuResponseBatch final : public ResponseBatch {
 public:
  CpuResponseBatch(gpu::HostClusters design, int capacity);

  int capacity() const override { return capacity_; }
  const kernels::ClusterView& design() const override { return view_; }
  Status LoadGroup(std::span<const ResponsePieces* const> pieces) override;
  Status Evaluate(std::span<const int> slots, std::span<const double> lambdas,
                  std::vector<gpu::ClusterReduction>* out) override;

 private:
  gpu::HostClusters design_;
  kernels::ClusterView view_;
  int capacity_;
  std::vector<double> yz_;  // ResponseView layout, capacity slots
};

}  // namespace lmm
