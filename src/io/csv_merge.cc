#include "io/csv_merge.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "io/parallel_for.h"

namespace lmm::io {

namespace {

template <class T>
void Release(std::vector<T>& v) {
  std::vector<T>().swap(v);
}

// The first chunk (in file order) whose column `slot` has the note, with its index.
template <class Get>
std::pair<const CellNote*, size_t> FirstNote(const MergeInput& in, size_t slot, Get get) {
  for (size_t k = 0; k < in.chunks->size(); ++k) {
    const CellNote& note = get((*in.chunks)[k].columns[slot]);
    if (note.found()) return {&note, k};
  }
  return {nullptr, 0};
}

TextPosition Where(const MergeInput& in, size_t chunk, size_t offset) {
  return Locate(in.plan->bytes, (*in.chunks)[chunk].begin, in.chunk_lines[chunk], offset);
}

// Appends the chunks' vectors in order. The first chunk's vector is moved, not copied, when it has
// room for all rows (ParseChunk's reserve_bytes), as is a single chunk's.
template <class T, class Get>
void Concatenate(std::vector<ChunkResult>& chunks, size_t slot, int64_t rows, std::vector<T>& out,
                 Get get) {
  std::vector<T>& first = get(chunks[0].columns[slot]);
  if (chunks.size() == 1 || first.capacity() >= static_cast<size_t>(rows)) {
    out = std::move(first);
  } else {
    out.reserve(rows);
    out.insert(out.end(), first.begin(), first.end());
    Release(first);
  }
  for (size_t k = 1; k < chunks.size(); ++k) {
    std::vector<T>& v = get(chunks[k].columns[slot]);
    out.insert(out.end(), v.begin(), v.end());
    Release(v);
  }
}

// Remainders of the chunks that have any, zeros for the others; empty when no chunk has any.
void MergeRemainders(std::vector<ChunkResult>& chunks, size_t slot, int64_t rows,
                     std::vector<double>& out) {
  const bool any = std::any_of(chunks.begin(), chunks.end(), [slot](const ChunkResult& c) {
    return !c.columns[slot].remainders.empty();
  });
  if (!any) return;
  out.reserve(static_cast<size_t>(rows));
  for (ChunkResult& chunk : chunks) {
    std::vector<double>& v = chunk.columns[slot].remainders;
    if (v.empty())
      out.insert(out.end(), chunk.columns[slot].numbers.size(), 0.0);
    else
      out.insert(out.end(), v.begin(), v.end());
    Release(v);
  }
}

void MergeCategorical(const MergeInput& in, size_t slot, int64_t rows, Column& col) {
  std::vector<std::string_view> all;
  for (const ChunkResult& chunk : *in.chunks)
    for (const std::string& s : chunk.columns[slot].levels.strings()) all.push_back(s);
  std::sort(all.begin(), all.end());  // string_view compares bytes as unsigned (memcmp order)
  all.erase(std::unique(all.begin(), all.end()), all.end());
  col.levels.assign(all.begin(), all.end());
  std::vector<int32_t> remap;
  for (ChunkResult& chunk : *in.chunks) {
    ChunkColumn& c = chunk.columns[slot];
    remap.clear();
    for (const std::string& s : c.levels.strings())
      remap.push_back(static_cast<int32_t>(
          std::lower_bound(all.begin(), all.end(), std::string_view(s)) - all.begin()));
    for (int32_t& code : c.codes)
      if (code >= 0) code = remap[code];
    Release(c.numbers);
  }
  Concatenate(*in.chunks, slot, rows, col.codes,
              [](ChunkColumn& c) -> std::vector<int32_t>& { return c.codes; });
  const auto [note, k] = FirstNote(
      in, slot, [](const ChunkColumn& c) -> const CellNote& { return c.first_not_finite; });
  if (note != nullptr) {
    const TextPosition p = Where(in, k, note->offset);
    col.first_non_number = CellRef{p.line, p.column, note->text};
  }
}

}  // namespace

std::vector<bool> FindCategorical(const std::vector<ChunkResult>& chunks, size_t slots) {
  std::vector<bool> categorical(slots, false);
  for (const ChunkResult& chunk : chunks)
    for (size_t s = 0; s < slots; ++s)
      if (chunk.columns[s].has_text()) categorical[s] = true;
  return categorical;
}

void CheckNoInfinite(const MergeInput& in) {
  const CellNote* first = nullptr;
  size_t first_chunk = 0, first_slot = 0;
  for (size_t s = 0; s < in.categorical.size(); ++s) {
    if (in.categorical[s]) continue;
    const auto [note, k] =
        FirstNote(in, s, [](const ChunkColumn& c) -> const CellNote& { return c.first_infinite; });
    if (note != nullptr && (first == nullptr || note->offset < first->offset)) {
      first = note;
      first_chunk = k;
      first_slot = s;
    }
  }
  if (first == nullptr) return;
  ThrowAt(
      in.source, Where(in, first_chunk, first->offset),
      fmt::format("infinite value {} in numeric column {}: infinite values are not "
                  "allowed (expected a finite number or a missing-value token)",
                  QuoteForMessage(first->text), QuoteForMessage(in.plan->kept_names[first_slot])));
}

DataFrame MergeChunks(const MergeInput& in) {
  DataFrame frame;
  frame.source = in.source;
  std::vector<ChunkResult>& chunks = *in.chunks;
  for (const ChunkResult& chunk : chunks) frame.rows += chunk.rows;
  // Line of each row: the chunk's first line plus the newlines before the row in the chunk; the
  // first chunk's vector is turned into the result in place when it has room for all rows.
  std::vector<int64_t>& first = chunks[0].row_newlines;
  if (first.capacity() >= static_cast<size_t>(frame.rows)) {
    frame.row_line = std::move(first);
    for (int64_t& line : frame.row_line) line += in.chunk_lines[0];
  } else {
    frame.row_line.reserve(frame.rows);
    for (int64_t nl : first) frame.row_line.push_back(in.chunk_lines[0] + nl);
    Release(first);
  }
  for (size_t k = 1; k < chunks.size(); ++k) {
    for (int64_t nl : chunks[k].row_newlines) frame.row_line.push_back(in.chunk_lines[k] + nl);
    Release(chunks[k].row_newlines);
  }
  const size_t slots = in.plan->kept_names.size();
  frame.columns.resize(slots);
  ParallelFor(slots, in.threads, [&](size_t s) {
    Column& col = frame.columns[s];
    col.name = in.plan->kept_names[s];
    col.type = in.categorical[s] ? ColumnType::kCategorical : ColumnType::kNumeric;
    for (const ChunkResult& chunk : chunks) col.numeric_cells += chunk.columns[s].numeric_cells;
    Concatenate(chunks, s, frame.rows, col.missing,
                [](ChunkColumn& c) -> std::vector<uint8_t>& { return c.missing; });
    if (in.categorical[s]) {
      MergeCategorical(in, s, frame.rows, col);
    } else {
      MergeRemainders(chunks, s, frame.rows, col.remainders);  // before numbers are moved
      Concatenate(chunks, s, frame.rows, col.numbers,
                  [](ChunkColumn& c) -> std::vector<double>& { return c.numbers; });
    }
  });
  return frame;
}

}  // namespace lmm::io
