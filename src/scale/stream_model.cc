#include "scale/stream_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "lmm/error.h"
#include "scale/chunk_design.h"
#include "scale/chunk_reader.h"
#include "scale/cluster_sums.h"
#include "scale/memory_limit.h"
#include "scale/stream_evaluator.h"
#include "scale/stream_schema.h"
#include "scale/stream_start.h"

namespace lmm::scale {
namespace {

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// FNV-1a 64, as inference::ResponseHash: nobs, then the bits of each used response in file order.
class Fnv {
 public:
  void Mix(uint64_t v) {
    for (int b = 0; b < 8; ++b) {
      h_ ^= (v >> (8 * b)) & 0xffU;
      h_ *= 1099511628211ULL;
    }
  }
  void MixDouble(double v) {
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    Mix(bits);
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 1469598103934665603ULL;
};

std::string Hex(uint64_t h) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

ModelFrame RowlessFrame(const StreamSchema& schema, const ChunkDesigner& designer,
                        const StreamPieces& pieces) {
  const Formula& f = schema.formula;
  ModelFrame frame;
  frame.formula = f.text;
  frame.response = f.response.label;
  frame.x.resize(0, static_cast<Eigen::Index>(pieces.kept.size()));
  for (int j : pieces.kept) {
    frame.fixed_names.push_back(designer.fixed_names()[j]);
    frame.fixed_term.push_back(designer.fixed_term()[j]);
  }
  for (int j : pieces.aliased) frame.aliased.push_back(designer.fixed_names()[j]);
  for (const Term& term : f.fixed) frame.fixed_term_labels.push_back(term.Label());
  const RandomTerm& rt = f.random[0];
  RandomEffectTerm re;
  re.group = rt.group_label;
  re.grouping_factor = rt.group_label;
  re.names = designer.z_names();
  re.structure = rt.structure;
  re.homogeneous = rt.homogeneous;
  re.levels = designer.clusters();
  re.level_labels = designer.cluster_labels();
  re.z.resize(0, re.q());
  const int64_t n = pieces.n;
  if (re.levels < 2)
    throw DataError(
        fmt::format("{}: grouping factor '{}' of {} has {} level in the rows used; it "
                    "needs at least 2",
                    schema.source, re.grouping_factor, rt.text, re.levels));
  if (re.levels >= n)
    throw DataError(
        fmt::format("{}: grouping factor '{}' has {} levels for {} observations; the "
                    "number of levels must be less than the number of observations",
                    schema.source, re.grouping_factor, re.levels, n));
  if (re.levels * re.q() >= n)
    throw DataError(
        fmt::format("{}: term {} has {} random effects for {} observations; the "
                    "variance components are not identifiable",
                    schema.source, rt.text, re.levels * re.q(), n));
  GroupSummary g;
  g.name = re.grouping_factor;
  g.levels = re.levels;
  g.min = *std::min_element(pieces.counts.begin(), pieces.counts.end());
  g.max = *std::max_element(pieces.counts.begin(), pieces.counts.end());
  g.mean = static_cast<double>(n) / static_cast<double>(re.levels);
  frame.groups.push_back(g);
  frame.random.push_back(std::move(re));
  frame.rows_read = schema.rows_read;
  frame.rows_used = schema.rows_used;
  for (size_t k = 0; k < schema.columns.size(); ++k)
    if (schema.dropped[k] > 0)
      frame.rows_dropped.emplace_back("missing " + schema.columns[k].name, schema.dropped[k]);
  return frame;
}

}  // namespace

StreamedModel BuildStreamedModel(const StreamOptions& options, Collective& collective) {
  StreamedModel out;
  StreamReport& report = out.report;
  report.processes = collective.size();
  report.memory_limit = options.memory_limit;
  const Formula formula = ParseFormula(options.formula);
  CheckStreamable(formula);
  const CsvLayout layout = ReadCsvLayout(options.data_path);
  const std::vector<int64_t> ranges = SplitCsvRanges(layout, collective.size());
  const int64_t begin = ranges[static_cast<size_t>(collective.rank())];
  const int64_t end = ranges[static_cast<size_t>(collective.rank()) + 1];

  auto t0 = std::chrono::steady_clock::now();
  ScanOptions scan;
  scan.csv = options.csv;
  scan.chunk_bytes =
      options.chunk_bytes > 0 ? options.chunk_bytes : ChunkBytes(options.memory_limit, 0);
  const StreamSchema schema = ScanSchema(formula, layout, begin, end, scan, collective);
  report.scan_seconds = Since(t0);

  t0 = std::chrono::steady_clock::now();
  const ChunkDesigner designer(schema);
  const int q = static_cast<int>(designer.z_names().size());
  const int w = static_cast<int>(designer.fixed_names().size()) + 1;
  ClusterSums sums(designer.clusters(), q, w);
  report.table_bytes = static_cast<int64_t>(sums.table.size() * sizeof(long double) +
                                            sums.counts.size() * sizeof(int64_t)) *
                       3 / 2;
  if (report.table_bytes > options.memory_limit / 2)
    throw UsageError(
        fmt::format("--memory-limit {}M: the per-cluster sums of {} clusters need "
                    "{}M; allow at least twice that",
                    options.memory_limit >> 20, designer.clusters(), report.table_bytes >> 20));
  report.chunk_bytes = options.chunk_bytes > 0
                           ? options.chunk_bytes
                           : ChunkBytes(options.memory_limit, report.table_bytes);
  Fnv hash;
  hash.Mix(static_cast<uint64_t>(schema.rows_used));
  ChunkReader reader(layout, begin, end, report.chunk_bytes);
  std::string chunk;
  while (reader.Next(&chunk)) {
    const ChunkRows rows = designer.Build(ParseChunk(chunk, schema, options.csv));
    for (Eigen::Index i = 0; i < rows.y.size(); ++i) hash.MixDouble(rows.y(i));
    sums.Add(rows);
    ++report.chunks;
  }
  chunk = {};
  StreamPieces pieces = FinishPieces(std::move(sums), collective);
  report.build_seconds = Since(t0);
  // As the in-memory build: finite sums of squares, more observations than fixed effects.
  if (!pieces.cp.a.allFinite())
    throw DataError(
        fmt::format("{}: the response or a fixed-effect column has values too large to "
                    "fit (a sum of squares overflows a double); rescale it",
                    schema.source));
  // A random-effect column zero in every row: its variance would not enter the likelihood.
  std::vector<double> z_max(static_cast<size_t>(pieces.block.q), 0.0);
  for (int j = 0; j < pieces.block.q; ++j)
    for (int64_t c = 0; c < pieces.block.clusters; ++c)
      z_max[j] = std::max(z_max[j],
                          pieces.block.d[kernels::PackedIndex(j, j) * pieces.block.clusters + c]);
  collective.MaxDouble(z_max);
  for (int j = 0; j < pieces.block.q; ++j)
    if (!(z_max[j] > 0))
      throw DataError(
          fmt::format("{}: column '{}' of {} is zero in every row used: its variance "
                      "cannot be estimated; remove it from the random term",
                      schema.source, designer.z_names()[static_cast<size_t>(j)],
                      schema.formula.random[0].text));
  if (pieces.n <= static_cast<int64_t>(pieces.kept.size()))
    throw DataError(
        fmt::format("the model has {} observations for {} fixed-effect columns (after "
                    "dropping linearly dependent ones): a fit needs more observations "
                    "than fixed effects",
                    pieces.n, pieces.kept.size()));

  out.frame = RowlessFrame(schema, designer, pieces);
  if (collective.size() == 1) {
    out.response_hash = Hex(hash.value());
  } else {
    // The processes' hashes of their parts, hashed in rank order.
    const double mine[1] = {static_cast<double>(hash.value() >> 11)};
    Fnv combined;
    for (double v : collective.GatherDoubles(mine)) combined.MixDouble(v);
    out.response_hash = Hex(combined.value());
  }
  out.start = StreamMomentStart(out.frame, pieces, collective);
  out.evaluator = std::make_unique<StreamEvaluator>(out.frame, std::move(pieces), collective);
  report.peak_rss_bytes = PeakRssBytes();
  return out;
}

}  // namespace lmm::scale
