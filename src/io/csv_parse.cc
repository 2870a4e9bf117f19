// ParseCsv: header, parallel chunks, checks, merge.
#include "io/csv_parse.h"

#include <fmt/format.h>

#include "io/csv_chunk.h"
#include "io/csv_header.h"
#include "io/csv_merge.h"
#include "io/csv_split.h"
#include "io/parallel_for.h"
#include "lmm/error.h"

namespace lmm::io {

namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Parses [bounds[k], bounds[k+1]) in parallel. A chunk is trusted when the one before it is trusted
// and ended exactly at its start; the first chunk starts after the header, so all are trusted in
// well-formed input. After a mismatch (a boundary misjudged in malformed input) the rest of the
// input is parsed again sequentially from where the last trusted chunk ended. Parsing stops at the
// first chunk with an issue.
std::vector<ChunkResult> ParseChunks(const ParsePlan& plan, const std::vector<size_t>& bounds,
                                     int threads) {
  std::vector<ChunkResult> chunks(bounds.size() - 1);
  // The first chunk's vectors are sized for the whole input: MergeChunks appends the others.
  const size_t all = bounds.back() - bounds.front();
  ParallelFor(chunks.size(), threads, [&](size_t k) {
    chunks[k] = ParseChunk(plan, bounds[k], bounds[k + 1], k == 0 ? all : 0);
  });
  for (size_t k = 0; k < chunks.size(); ++k) {
    if (chunks[k].issue) {
      chunks.resize(k + 1);
      break;
    }
    if (k + 1 < chunks.size() && chunks[k].end != bounds[k + 1]) {
      chunks.resize(k + 2);
      chunks[k + 1] = ParseChunk(plan, chunks[k].end, plan.bytes.size());
    }
  }
  return chunks;
}

}  // namespace

DataFrame ParseCsvChunked(std::string_view bytes, const std::string& source,
                          const CsvOptions& options, size_t min_chunk_bytes) {
  const char sep = options.separator;
  if (sep == '"' || sep == '\n' || sep == '\r')
    throw UsageError(
        fmt::format("invalid CSV separator {}: expected a byte other than a quote, "
                    "CR or LF",
                    QuoteForMessage(std::string_view(&sep, 1))));
  if (bytes.substr(0, kUtf8Bom.size()) == kUtf8Bom) bytes.remove_prefix(kUtf8Bom.size());
  const Header header = ParseHeader(bytes, source, sep);
  const ParsePlan plan = MakePlan(bytes, header, options, source);
  const int threads = ResolveThreads(options.threads);

  std::vector<ChunkResult> chunks =
      ParseChunks(plan, SplitRows(bytes, header.body_begin, threads, min_chunk_bytes), threads);
  MergeInput in;
  in.plan = &plan;
  in.chunks = &chunks;
  in.source = source;
  in.threads = threads;
  in.chunk_lines.push_back(header.body_line);
  for (size_t k = 0; k + 1 < chunks.size(); ++k)
    in.chunk_lines.push_back(in.chunk_lines.back() + chunks[k].newlines);
  const ChunkResult& last = chunks.back();
  if (last.issue)
    ThrowAt(source, Locate(bytes, last.begin, in.chunk_lines.back(), last.issue->offset),
            last.issue->message);
  int64_t rows = 0;
  for (const ChunkResult& chunk : chunks) rows += chunk.rows;
  if (rows == 0)
    ThrowAt(source, Locate(bytes, 0, 1, header.body_begin),
            "no data rows after the header: expected at least one row");

  in.categorical = FindCategorical(chunks, plan.kept_names.size());
  CheckNoInfinite(in);
  ParallelFor(chunks.size(), threads,
              [&](size_t k) { CollectText(plan, in.categorical, chunks[k]); });
  return MergeChunks(in);
}

}  // namespace lmm::io

namespace lmm {

DataFrame ParseCsv(std::string_view bytes, const std::string& source, const CsvOptions& options) {
  return io::ParseCsvChunked(bytes, source, options, io::kDefaultMinChunkBytes);
}

}  // namespace lmm
