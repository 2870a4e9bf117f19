#include "batch/responses.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>
#include <numeric>
#include <optional>
#include <thread>

#include "batch/response_outcome.h"
#include "batch/responses_data.h"
#include "batch/responses_fit.h"
#include "batch/responses_hash.h"
#include "batch/responses_lockstep.h"
#include "lmm/error.h"

namespace lmm::batch {
namespace {

// Synthetic response of the shared frame: never missing, never constant, so that building the
// frame can fail only for what the responses share.
constexpr const char* kBaseResponse = "lmmgpu base response";

// From this many rows responses are not fitted in parallel unless the backend is the CPU.
constexpr int64_t kSequentialFromRows = 100000;

// Responses whose hashes a worker computes together (ResponseHashes interleaves four).
constexpr size_t kHashGroup = 4;

bool IsPattern(const std::string& item) { return item.find_first_of("*?[") != std::string::npos; }

bool IsSyntacticName(const std::string& name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '.'))
    return false;
  if (name[0] == '.' && name.size() > 1 && std::isdigit(static_cast<unsigned char>(name[1])))
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_';
  });
}

// Position of the '~' outside backquotes, npos when none.
size_t TildeAt(const std::string& formula) {
  bool quoted = false;
  for (size_t i = 0; i < formula.size(); ++i) {
    if (formula[i] == '`')
      quoted = !quoted;
    else if (formula[i] == '~' && !quoted)
      return i;
  }
  return std::string::npos;
}

// Fits `prepared` (moved into `frame`, the shared frame of this worker). With `shared`, on the
// shared cross-products with the given hash; else by Fit.
void FitPrepared(PreparedResponse& prepared, const std::string* response_hash,
                 const FitOptions& options, const cpu::CrossProducts* shared, ModelFrame& frame,
                 ResponseOutcome& outcome) {
  try {
    InstallResponse(prepared, frame);
    RecordFit(shared != nullptr ? FitWithSharedDesign(frame, options, *shared, *response_hash)
                                : Fit(frame, options),
              outcome);
  } catch (...) {
    RecordFailure(outcome);
  }
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

std::vector<std::string> ExpandResponses(const std::vector<std::string>& items,
                                         const std::vector<std::string>& columns,
                                         const std::vector<std::string>& rhs_columns,
                                         const std::string& source) {
  std::vector<std::string> out;
  auto add = [&out](const std::string& name) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  for (const std::string& item : items) {
    if (!IsPattern(item)) {
      if (std::find(columns.begin(), columns.end(), item) == columns.end())
        throw DataError(
            fmt::format("{}: --responses names column '{}', which the file does not "
                        "have",
                        source, item));
      add(item);
      continue;
    }
    bool matched = false;
    for (const std::string& name : columns) {
      if (fnmatch(item.c_str(), name.c_str(), 0) != 0) continue;
      if (std::find(rhs_columns.begin(), rhs_columns.end(), name) != rhs_columns.end()) continue;
      matched = true;
      add(name);
    }
    if (!matched)
      throw UsageError(
          fmt::format("{}: --responses pattern '{}' matches no column (the right-hand "
                      "side's columns are left out)",
                      source, item));
  }
  return out;
}

std::string FormulaForResponse(const std::string& formula, const std::string& response) {
  const std::string name = IsSyntacticName(response) ? response : "`" + response + "`";
  const size_t tilde = TildeAt(formula);
  if (tilde == std::string::npos) return name + " ~ " + formula;
  const size_t lhs_begin = formula.find_first_not_of(" \t\r\n");
  if (lhs_begin == tilde) return name + " " + formula.substr(tilde);
  const size_t lhs_end = formula.find_last_not_of(" \t\r\n", tilde - 1) + 1;
  return formula.substr(0, lhs_begin) + name + formula.substr(lhs_end);
}

std::vector<ResponseOutcome> FitResponses(
    const LoadOptions& load, const std::vector<std::string>& items, const FitOptions& options,
    const std::function<void(const ResponseOutcome&)>& on_done) {
  if (items.empty()) throw UsageError("--responses lists no response");
  const Formula base_formula = ParseFormula(FormulaForResponse(load.formula, kBaseResponse));
  std::vector<std::string> rhs_columns = base_formula.Columns();
  rhs_columns.erase(std::remove(rhs_columns.begin(), rhs_columns.end(), kBaseResponse),
                    rhs_columns.end());

  // Read only what is needed, unless a pattern needs every column name.
  CsvOptions csv = load.csv;
  if (std::none_of(items.begin(), items.end(), IsPattern)) {
    std::vector<std::string> keep = rhs_columns;
    for (const std::string& item : items)
      if (std::find(keep.begin(), keep.end(), item) == keep.end()) keep.push_back(item);
    csv.keep = keep;
  } else {
    csv.keep.reset();
  }
  DataFrame data = ReadCsv(load.data_path, csv);
  std::vector<std::string> names;
  for (const Column& c : data.columns) names.push_back(c.name);
  const std::vector<std::string> responses =
      ExpandResponses(items, names, rhs_columns, data.source);

  // Rows where every response is present; drops counted under the first missing one.
  std::vector<const Column*> response_columns;
  for (const std::string& r : responses) response_columns.push_back(data.Find(r));
  std::vector<int64_t> dropped(responses.size(), 0);
  std::vector<int64_t> rows;
  const bool any_missing =
      std::any_of(response_columns.begin(), response_columns.end(), [&data](const Column* c) {
        return std::memchr(c->missing.data(), 1, static_cast<size_t>(data.rows)) != nullptr;
      });
  if (!any_missing) {
    rows.resize(static_cast<size_t>(data.rows));
    std::iota(rows.begin(), rows.end(), int64_t{0});
  }
  for (int64_t r = 0; any_missing && r < data.rows; ++r) {
    size_t k = 0;
    while (k < response_columns.size() && !response_columns[k]->missing[static_cast<size_t>(r)])
      ++k;
    if (k == response_columns.size())
      rows.push_back(r);
    else
      ++dropped[k];
  }
  const std::string source = data.source;
  const int64_t rows_read = data.rows;
  // Every row kept (the usual case): the data frame itself, not a copy.
  DataFrame sub =
      static_cast<int64_t>(rows.size()) == data.rows ? std::move(data) : SelectDataRows(data, rows);
  Column base;
  base.name = kBaseResponse;
  base.numbers.resize(rows.size());
  // Values in [-0.5, 0.5) with full-length mantissas (k / 1000003 for a scrambled k), so that
  // SharedCrossProducts' check of the summation order sees rounding (sums of small integers would
  // be exact in any order).
  for (size_t i = 0; i < rows.size(); ++i)
    base.numbers[i] = static_cast<double>((i * 2654435761U) % 1000003U) / 1000003.0 - 0.5;
  base.missing.assign(rows.size(), 0);
  base.numeric_cells = static_cast<int64_t>(rows.size());
  sub.columns.push_back(std::move(base));
  if (sub.rows == 0)
    throw DataError(fmt::format("{}: no rows left: every row misses one of the responses", source));

  ModelFrame frame = BuildModelFrame(base_formula, sub);
  std::vector<std::pair<std::string, int64_t>> drops;
  for (size_t k = 0; k < responses.size(); ++k)
    if (dropped[k] > 0) drops.emplace_back("missing " + responses[k], dropped[k]);
  drops.insert(drops.end(), frame.rows_dropped.begin(), frame.rows_dropped.end());
  frame.rows_dropped = drops;
  frame.rows_read = rows_read;
  const std::vector<int64_t> sub_rows = frame.used_rows;  // indices into `sub`
  std::vector<int64_t> data_rows(sub_rows.size());
  for (size_t i = 0; i < sub_rows.size(); ++i)
    data_rows[i] = rows[static_cast<size_t>(sub_rows[i])];

  const bool intercept = std::find(frame.fixed_names.begin(), frame.fixed_names.end(),
                                   "(Intercept)") != frame.fixed_names.end();
  // One-term models on the GPU: the responses' fits in lock-step, a group per launch.
  std::optional<std::vector<ResponseOutcome>> on_gpu = FitResponsesOnGpu(
      frame, data_rows, responses,
      [&](size_t k) {
        return PrepareResponse(FormulaForResponse(load.formula, responses[k]), sub, sub_rows,
                               intercept);
      },
      options, on_done);
  if (on_gpu) return std::move(*on_gpu);

  // Responses are fitted in parallel, one thread each, on copies of the frame: for many responses
  // this beats threads inside each fit. Results do not depend on the thread count.
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  // Frames large enough for --backend auto to pick the GPU (fit.cc's threshold, 100k rows) are
  // fitted one response at a time, each fit using the device or every thread itself.
  const bool one_at_a_time =
      options.backend != BackendChoice::kCpu && frame.n() >= kSequentialFromRows;
  const int workers = one_at_a_time
                          ? 1
                          : std::max(1, std::min(options.threads > 0 ? options.threads : cores,
                                                 static_cast<int>(responses.size())));
  FitOptions per_fit = options;
  if (workers > 1) per_fit.threads = 1;
  // The design's cross-products, formed once; each response replaces only its own pieces.
  const std::optional<cpu::CrossProducts> shared = SharedCrossProducts(frame, per_fit);
  // With shared cross-products a worker takes a few responses at a time and computes their hashes
  // together (ResponseHashes), fewer as the responses left run out so that the workers finish
  // together: at most a quarter of the share per worker of those left.
  const size_t max_group = shared ? kHashGroup : 1;
  std::vector<ResponseOutcome> outcomes(responses.size());
  std::atomic<size_t> next{0};
  auto claim = [&](size_t& k0, size_t& k1) {
    size_t begin = next.load();
    size_t count = 0;
    do {
      if (begin >= responses.size()) return false;
      count = std::clamp<size_t>((responses.size() - begin) / (4 * static_cast<size_t>(workers)), 1,
                                 max_group);
    } while (!next.compare_exchange_weak(begin, begin + count));
    k0 = begin;
    k1 = begin + count;
    return true;
  };
  std::mutex mutex;  // serializes on_done
  std::exception_ptr failure;
  // Reports outcome k; false when the fits are to stop (on_done threw, here or in another worker).
  auto report = [&](size_t k) {
    if (!on_done) return true;
    std::lock_guard<std::mutex> guard(mutex);
    if (failure) return false;
    try {
      on_done(outcomes[k]);
    } catch (...) {
      failure = std::current_exception();
      next = responses.size();
      return false;
    }
    return true;
  };
  auto work = [&]() {
    ModelFrame local = frame;
    local.used_rows = data_rows;  // reported rows: the file's
    std::vector<PreparedResponse> prepared(max_group);
    std::vector<const Eigen::VectorXd*> ys;
    std::vector<size_t> ready;  // of the group: prepared without error
    size_t k0 = 0, k1 = 0;
    while (claim(k0, k1)) {
      ys.clear();
      ready.clear();
      for (size_t k = k0; k < k1; ++k) {
        const auto t0 = std::chrono::steady_clock::now();
        outcomes[k].response = responses[k];
        try {
          prepared[k - k0] = PrepareResponse(FormulaForResponse(load.formula, responses[k]), sub,
                                             sub_rows, intercept);
          ys.push_back(&prepared[k - k0].y);
          ready.push_back(k);
        } catch (...) {
          RecordFailure(outcomes[k]);
        }
        outcomes[k].seconds = SecondsSince(t0);
      }
      const auto t0 = std::chrono::steady_clock::now();
      std::vector<std::string> hashes;
      try {
        if (shared) hashes = ResponseHashes(ys);
      } catch (...) {  // out of memory: the group's responses fail
        for (size_t k : ready) RecordFailure(outcomes[k]);
        ready.clear();
      }
      const double hash_share = ready.empty() ? 0 : SecondsSince(t0) / ready.size();
      for (size_t k = k0, r = 0; k < k1; ++k) {
        if (r < ready.size() && ready[r] == k) {
          const auto t1 = std::chrono::steady_clock::now();
          FitPrepared(prepared[k - k0], shared ? &hashes[r] : nullptr, per_fit,
                      shared ? &*shared : nullptr, local, outcomes[k]);
          outcomes[k].seconds += hash_share + SecondsSince(t1);
          ++r;
        }
        if (!report(k)) return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  return outcomes;
}

}  // namespace lmm::batch
