// Pass 1 of the streaming build: what the in-memory model frame learns from the whole data before
// it forms any row of the design -- column types, the levels of factors present in the used rows
// (R's order comes from sorting them), which rows are used and why the others are dropped, and the
// response's range -- gathered chunk by chunk in memory proportional to the number of levels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lmm/data_frame.h"
#include "lmm/formula.h"
#include "scale/chunk_reader.h"
#include "scale/collective.h"

namespace lmm::scale {

struct StreamColumn {
  std::string name;
  bool factor_use = false;   // through factor() or as the grouping factor: its levels are needed
  bool in_design = false;    // read by a fixed-effect or random-effect term
  bool categorical = false;  // some chunk typed it categorical
  std::vector<std::string> levels;  // categorical: texts present in the used rows, byte order
  std::vector<double> values;       // numeric with factor_use: distinct used values, increasing
  double sample = 0;                // numeric: the value of some used row
};

struct StreamSchema {
  Formula formula;
  std::string source;                 // file name, for messages
  std::vector<StreamColumn> columns;  // formula.Columns() order
  int grouping = -1;                  // column of the random term's grouping factor
  int64_t rows_read = 0, rows_used = 0;
  std::vector<int64_t> dropped;  // per column: rows whose first missing used column it is
};

struct ScanOptions {
  CsvOptions csv;  // `keep` is set to the formula's columns
  int64_t chunk_bytes = 64 << 20;
};

// The models the streaming build takes: one random-effect term whose grouping factor is one
// variable, at most kernels::kMaxClusterQ columns in it and fewer than kMaxClusterW fixed effects.
// Throws lmm::Error(kUsage) naming the limit otherwise.
void CheckStreamable(const Formula& formula);

// Scans rows [begin, end) of the file (this process' range) and merges the result over
// `collective`. Throws lmm::Error(kData) as the in-memory build would: no rows left, a constant
// response, a response with more digits than doubles hold (not supported here), a column that is
// a number in some chunks and text in others (not supported here).
StreamSchema ScanSchema(const Formula& formula, const CsvLayout& layout, int64_t begin, int64_t end,
                        const ScanOptions& options, Collective& collective);

// The rows of `data` (a parsed chunk) where no column the formula uses is missing; adds the
// others to `dropped` (per schema column, under the first missing one in formula order).
std::vector<int64_t> UsedRows(const StreamSchema& schema, const DataFrame& data,
                              std::vector<int64_t>* dropped);

// Parses one chunk with the formula's columns kept; `source` names the file in messages.
DataFrame ParseChunk(const std::string& chunk, const StreamSchema& schema, const CsvOptions& csv);

}  // namespace lmm::scale
