#include "likelihood/gpu/gpu_variance_pieces.h"

#include <memory>

#include "likelihood/gpu/cuda_status.h"
#include "likelihood/gpu/device_buffer.h"
#include "likelihood/gpu/gpu_context.h"
#include "variance_kernels.h"

namespace lmm::gpu {

Status ComputeGpuVarianceSums(const GpuVarianceInput& in, GpuVarianceSums* out) {
  using kernels::VarianceMatrixPieces;
  using kernels::VarianceScalars;
  if (in.q < 1 || in.q > kernels::kMaxClusterQ || in.w < 1 || in.w > kernels::kMaxClusterW ||
      in.nr < 1 || in.nr > kernels::kMaxVarianceParams)
    return Status::Error(Status::Code::kUnsupported,
                         "variance pieces: shape beyond the GPU kernels' limits");
  const auto n = static_cast<size_t>(in.clusters);
  const size_t qq = static_cast<size_t>(in.q) * in.q, qw = static_cast<size_t>(in.q) * in.w;
  const auto ww = static_cast<size_t>(kernels::PackedSize(in.w));
  if (in.lambda.size() != qq || in.patterns.size() != qq * in.nr || in.row_start.size() != n + 1 ||
      in.rows.size() != static_cast<size_t>(in.row_start.back()) * (in.q + in.w))
    return Status::Error(Status::Code::kInvalidArgument, "variance pieces: input sizes disagree");
  std::unique_ptr<GpuContext> ctx;
  if (Status st = GpuContext::Create(&ctx); !st.ok()) return st;
  const cudaStream_t stream = ctx->stream();
  const int pieces = VarianceMatrixPieces(in.nr), scalars = VarianceScalars(in.nr);
  const size_t piece_size = static_cast<size_t>(pieces) * in.w * in.w;

  DeviceBuffer<double> lambda, patterns, rows, tz, tzx, tx, k, yx, h1, y2, bb, b2, scal, partial,
      d_pieces, d_scalars;
  DeviceBuffer<int64_t> row_start;
  if (Status st = row_start.Allocate(n + 1); !st.ok()) return st;
  if (Status st = row_start.CopyFromHost(in.row_start.data(), n + 1, stream); !st.ok()) return st;
  for (auto [buf, size] : {std::pair{&lambda, qq},
                           {&patterns, qq * in.nr},
                           {&rows, in.rows.size()},
                           {&tz, qq * n},
                           {&tzx, qw * n},
                           {&tx, ww * n},
                           {&k, qq * n},
                           {&yx, qw * n},
                           {&h1, qw * n},
                           {&y2, qw * n},
                           {&bb, qw * n},
                           {&b2, qw * n},
                           {&scal, static_cast<size_t>(scalars) * n},
                           {&partial, piece_size * kernels::VarianceSplits(in.clusters)},
                           {&d_pieces, piece_size},
                           {&d_scalars, static_cast<size_t>(scalars)}})
    if (Status st = buf->Allocate(size); !st.ok()) return st;
  for (auto [buf, host] :
       {std::pair{&lambda, &in.lambda}, {&patterns, &in.patterns}, {&rows, &in.rows}})
    if (Status st = buf->CopyFromHost(host->data(), host->size(), stream); !st.ok()) return st;

  kernels::VariancePassArgs args;
  args.view.stride = in.clusters;
  args.view.q = in.q;
  args.view.w = in.w;
  args.view.nr = in.nr;
  args.view.tz = tz.get();
  args.view.tzx = tzx.get();
  args.view.tx = tx.get();
  args.view.k = k.get();
  args.view.yx = yx.get();
  args.view.h1 = h1.get();
  args.view.y2 = y2.get();
  args.view.bb = bb.get();
  args.view.b2 = b2.get();
  args.view.scal = scal.get();
  args.d_rows = rows.get();
  args.d_row_start = row_start.get();
  args.d_lambda = lambda.get();
  args.d_patterns = patterns.get();
  args.d_partial = partial.get();
  args.d_pieces = d_pieces.get();
  args.d_scalars = d_scalars.get();
  LMM_CUDA_RETURN_IF_ERROR(kernels::LaunchVariancePass(args, stream, ctx->sync_each_launch()));

  out->pieces.assign(piece_size, 0.0);
  out->scalars.assign(static_cast<size_t>(scalars), 0.0);
  if (Status st = d_pieces.CopyToHost(out->pieces.data(), piece_size, stream); !st.ok()) return st;
  if (Status st = d_scalars.CopyToHost(out->scalars.data(), out->scalars.size(), stream); !st.ok())
    return st;
  if (Status st = ctx->Synchronize(); !st.ok()) return st;
  out->device = ctx->device_name();
  return Status::Ok();
}

}  // namespace lmm::gpu
