// Joining the chunks' per-column vectors into the DataFrame's columns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/csv_chunk.h"
#include "lmm/data_frame.h"

namespace lmm::io {

// Chunks in file order, all parsed without issue; chunk_lines[k] is the line number of
// chunks[k].begin. A kept column is categorical when some cell in it is text (not a number, an
// infinite value or a missing-value token); its codes must cover every row (CollectText).
struct MergeInput {
  const ParsePlan* plan = nullptr;
  std::vector<ChunkResult>* chunks = nullptr;
  std::vector<int64_t> chunk_lines;
  std::vector<bool> categorical;  // per kept slot
  std::string source;
  int threads = 1;
};

// Categorical flag per kept slot: true when any chunk saw a text cell in it.
std::vector<bool> FindCategorical(const std::vector<ChunkResult>& chunks, size_t slots);

// Throws "source:L:C: infinite value ..." for the first infinite cell (in file order) of a column
// that is otherwise numeric.
void CheckNoInfinite(const MergeInput& in);

// Builds the frame; releases the chunks' column memory as it goes.
DataFrame MergeChunks(const MergeInput& in);

}  // namespace lmm::io
