// ReadCsv throughput on a 1M-row file: 6 columns (int id, int group, three doubles printed with
// 12 significant digits, a short string), written once to the temp directory.
// Reports bytes/s and rows/s for one thread and for all hardware threads (threads = 0).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "lmm/data_frame.h"

namespace {

constexpr int64_t kRows = 1'000'000;

struct BenchFile {
  std::string path;
  int64_t bytes = 0;
};

const BenchFile& File() {
  static const BenchFile file = [] {
    BenchFile f;
    f.path = (std::filesystem::temp_directory_path() / "lmm_csv_bench_1m.csv").string();
    std::FILE* out = std::fopen(f.path.c_str(), "wb");
    if (out == nullptr) throw std::runtime_error("cannot write " + f.path);
    std::mt19937_64 rng(20240601);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::fputs("id,group,x1,x2,x3,label\n", out);
    for (int64_t i = 0; i < kRows; ++i) {
      std::fprintf(out, "%lld,%d,%.12g,%.12g,%.12g,lvl%d\n", static_cast<long long>(i + 1),
                   static_cast<int>(rng() % 10000), 100 + 15 * normal(rng), normal(rng) * 1e-3,
                   1e6 * (1 + normal(rng)), static_cast<int>(rng() % 1000));
    }
    std::fclose(out);
    f.bytes = static_cast<int64_t>(std::filesystem::file_size(f.path));
    return f;
  }();
  return file;
}

void BM_ReadCsv(benchmark::State& state) {
  const BenchFile& file = File();
  lmm::CsvOptions options;
  options.threads = static_cast<int>(state.range(0));
  int64_t rows = 0;
  for (auto _ : state) {
    lmm::DataFrame frame = lmm::ReadCsv(file.path, options);
    rows = frame.rows;
    benchmark::DoNotOptimize(frame.columns.data());
  }
  if (rows != kRows) state.SkipWithError("wrong row count");
  state.SetBytesProcessed(state.iterations() * file.bytes);
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MB"] = static_cast<double>(file.bytes) / 1e6;
}
BENCHMARK(BM_ReadCsv)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Arg(0)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
