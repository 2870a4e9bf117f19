// The streaming build as a whole: pass 1 (ScanSchema), pass 2 (ChunkDesigner + ClusterSums over
// the chunks of this process' byte range), FinishPieces, and a row-less model frame that carries
// everything the fit and its report read from a frame except the rows.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "likelihood/evaluator.h"
#include "lmm/data_frame.h"
#include "lmm/model_frame.h"
#include "scale/collective.h"

namespace lmm::scale {

struct StreamOptions {
  std::string data_path;
  std::string formula;
  CsvOptions csv;
  int64_t memory_limit = int64_t{2} << 30;  // bytes (ParseMemoryLimit)
  int64_t chunk_bytes = 0;                  // 0: from memory_limit (ChunkBytes); > 0 for tests
};

// What the build did, for the report.
struct StreamReport {
  int processes = 1;
  int64_t memory_limit = 0;
  int64_t chunk_bytes = 0;     // pass 2
  int64_t table_bytes = 0;     // per-cluster sums of this process
  int64_t chunks = 0;          // pass 2, this process
  double scan_seconds = 0;     // pass 1
  double build_seconds = 0;    // pass 2 and the merge
  int64_t peak_rss_bytes = 0;  // this process, at the end of the build (getrusage)
};

struct StreamedModel {
  ModelFrame frame;  // no rows: y, x (0 x p), the term's z and level are empty
  std::string response_hash;
  // The optimizer's start for a random-intercept model (StreamMomentStart), else empty.
  std::optional<std::vector<double>> start;
  std::unique_ptr<Evaluator> evaluator;  // a StreamEvaluator
  StreamReport report;
};

// Throws lmm::Error as the in-memory build does for unusable data, and kUsage for models outside
// the streaming scope (CheckStreamable, ChunkDesigner) or a per-cluster table larger than the
// memory limit. `collective` must outlive the result.
StreamedModel BuildStreamedModel(const StreamOptions& options, Collective& collective);

}  // namespace lmm::scale
