// libFuzzer target for the CSV reader: any bytes must give a frame or an lmm::Error, never a
// crash, hang or other exception; and the parallel chunked parse must agree with the sequential
// one, frame for frame or message for message.
// clang-format off
// fuzz-sources:src/io/csv_cell.cc src/io/csv_chunk.cc src/io/csv_header.cc src/io/csv_location.cc src/io/csv_merge.cc src/io/csv_parse.cc src/io/csv_split.cc src/io/parallel_for.cc
// clang-format on
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "io/csv_parse.h"
#include "lmm/data_frame.h"
#include "lmm/error.h"

namespace {

// The first input byte chooses the options: bits 0-1 the separator, bit 2 custom missing-value
// tokens, bit 3 a keep list, bits 4-6 the thread count of the parallel parse.
lmm::CsvOptions OptionsFrom(uint8_t b) {
  lmm::CsvOptions o;
  static constexpr char kSeparators[] = {',', ';', '\t', '|'};
  o.separator = kSeparators[b & 3];
  if (b & 4) o.na_tokens = {"-", "x"};
  if (b & 8) o.keep = std::vector<std::string>{"a", "b"};
  o.threads = 1;
  return o;
}

bool SameColumn(const lmm::Column& x, const lmm::Column& y) {
  if (x.name != y.name || x.type != y.type || x.missing != y.missing || x.codes != y.codes ||
      x.levels != y.levels || x.numeric_cells != y.numeric_cells ||
      x.numbers.size() != y.numbers.size() ||
      x.first_non_number.has_value() != y.first_non_number.has_value())
    return false;
  if (x.first_non_number && (x.first_non_number->line != y.first_non_number->line ||
                             x.first_non_number->column != y.first_non_number->column ||
                             x.first_non_number->text != y.first_non_number->text))
    return false;
  for (size_t i = 0; i < x.numbers.size(); ++i)
    if (std::bit_cast<uint64_t>(x.numbers[i]) != std::bit_cast<uint64_t>(y.numbers[i]))
      return false;
  return true;
}

// "ok" plus a fingerprint-free marker for success, or the error message.
std::string Run(std::string_view bytes, const lmm::CsvOptions& o, size_t min_chunk,
                lmm::DataFrame* out) {
  try {
    *out = lmm::io::ParseCsvChunked(bytes, "fuzz.csv", o, min_chunk);
    // Invariants of every frame.
    for (const lmm::Column& c : out->columns) {
      if (c.missing.size() != static_cast<size_t>(out->rows)) std::abort();
      if (c.type == lmm::ColumnType::kNumeric && c.numbers.size() != c.missing.size()) std::abort();
      if (c.type == lmm::ColumnType::kCategorical) {
        if (c.codes.size() != c.missing.size()) std::abort();
        for (size_t i = 0; i < c.codes.size(); ++i)
          if (c.codes[i] < -1 || c.codes[i] >= static_cast<int32_t>(c.levels.size()) ||
              (c.codes[i] == -1) != (c.missing[i] == 1))
            std::abort();
      }
    }
    if (out->row_line.size() != static_cast<size_t>(out->rows)) std::abort();
    return "ok";
  } catch (const lmm::Error& e) {
    const std::string message = e.what();
    if (message.find('\n') != std::string::npos) std::abort();  // one-line messages
    return message;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  lmm::CsvOptions options = OptionsFrom(data[0]);
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  lmm::DataFrame sequential, parallel;
  const std::string a = Run(bytes, options, bytes.size() + 1, &sequential);
  options.threads = 2 + ((data[0] >> 4) & 7);
  const std::string b = Run(bytes, options, 1, &parallel);
  if (a != b) {
    std::fprintf(stderr, "sequential: %s\nparallel:   %s\n", a.c_str(), b.c_str());
    std::abort();
  }
  if (a == "ok") {
    if (sequential.rows != parallel.rows || sequential.row_line != parallel.row_line ||
        sequential.columns.size() != parallel.columns.size())
      std::abort();
    for (size_t j = 0; j < sequential.columns.size(); ++j)
      if (!SameColumn(sequential.columns[j], parallel.columns[j])) std::abort();
  }
  return 0;
}
