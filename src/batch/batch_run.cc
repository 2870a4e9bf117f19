#include "batch/batch_run.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "batch/job_runner.h"
#include "batch/manifest.h"
#include "batch/progress.h"
#include "batch/summary.h"
#include "io/atomic_file.h"
#include "lmm/error.h"

namespace lmm::batch {
namespace {

// Holds flock(LOCK_EX) on DIR/.lmmgpu-batch.lock; the kernel drops it when the process dies.
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& dir) {
    const std::string path = dir + "/.lmmgpu-batch.lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw DataError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw UsageError(fmt::format("{}: another batch is writing to this directory", dir));
    }
  }
  ~DirectoryLock() { ::close(fd_); }
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

// AtomicFile's temporary names: "." + target name + ".tmp." + six mkstemp characters.
bool IsTemporaryName(const std::string& name) {
  const size_t at = name.rfind(".tmp.");
  return name.size() > 1 && name[0] == '.' && at != std::string::npos && at > 1 &&
         name.size() - at == 5 + 6;
}

void RemoveTemporaryFiles(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    if (IsTemporaryName(entry.path().filename().string()))
      std::filesystem::remove(entry.path(), ec);
  }
}

int DefaultThreads(const BatchOptions& options) {
  if (options.threads > 0) return options.threads;
  if (options.jobs <= 1) return 0;
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  return std::max(1, cores / options.jobs);
}

// Refuses a batch whose result files would replace its own inputs (`--out-dir .` beside a manifest
// "m.json" with a job "m"; a data file named summary.csv in DIR): throws lmm::Error(kUsage).
void CheckOutputsSpareInputs(const std::vector<BatchJob>& jobs, const BatchOptions& options) {
  std::map<std::pair<dev_t, ino_t>, std::string> inputs;  // file -> what it is, for the message
  const auto add = [&inputs](const std::string& path, const std::string& what) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode))
      inputs.emplace(std::make_pair(st.st_dev, st.st_ino), what);
  };
  add(options.manifest, "the manifest");
  for (const BatchJob& job : jobs) add(job.data, "the data file of job '" + job.id + "'");
  const auto check = [&inputs](const std::string& path, const std::string& where) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return;
    const auto it = inputs.find(std::make_pair(st.st_dev, st.st_ino));
    if (it != inputs.end())
      throw UsageError(fmt::format("{}would write {}, which is {}; choose another --out-dir", where,
                                   path, it->second));
  };
  check(options.out_dir + "/summary.csv", "the batch ");
  for (const BatchJob& job : jobs)
    for (const std::string& path :
         {ResultPath(options.out_dir, job.id), ErrorPath(options.out_dir, job.id),
          RanefPath(options.out_dir, job.id), PredictPath(options.out_dir, job.id)})
      check(path, fmt::format("{}: job '{}' ", job.where, job.id));
}

}  // namespace

BatchCounts RunBatch(const BatchOptions& options) {
  const std::vector<BatchJob> jobs = ReadManifest(options.manifest);
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (!std::filesystem::is_directory(options.out_dir))
    throw DataError(fmt::format("{}: cannot create the output directory{}", options.out_dir,
                                ec ? ": " + ec.message() : ""));
  CheckOutputsSpareInputs(jobs, options);
  DirectoryLock lock(options.out_dir);
  RemoveTemporaryFiles(options.out_dir);

  const int threads = DefaultThreads(options);
  FingerprintCache cache;
  std::vector<JobOutcome> outcomes(jobs.size());
  std::vector<size_t> to_run;
  int resumed = 0;
  for (size_t k = 0; k < jobs.size(); ++k) {
    outcomes[k].id = jobs[k].id;
    std::optional<JobOutcome> kept;
    if (options.resume) kept = ResumedOutcome(jobs[k], options.out_dir, threads, cache);
    if (kept) {
      outcomes[k] = *kept;
      ++resumed;
    } else {
      to_run.push_back(k);
    }
  }
  const std::string summary_path = options.out_dir + "/summary.csv";
  io::WriteFileAtomically(summary_path, SummaryCsv(outcomes));
  if (options.resume && resumed > 0)
    fmt::print(options.log, "lmmgpu batch: {} of {} jobs unchanged since an earlier run, kept\n",
               resumed, jobs.size());

  Progress progress(static_cast<int>(jobs.size()), resumed, options.terminal, options.log);
  std::mutex mutex;  // guards outcomes, progress and the summary file
  auto last_summary = std::chrono::steady_clock::now();
  std::atomic<size_t> next{0};
  auto worker = [&]() {
    while (true) {
      const size_t i = next.fetch_add(1);
      if (i >= to_run.size()) return;
      const size_t k = to_run[i];
      JobOutcome outcome = RunJob(jobs[k], options.out_dir, threads, cache);
      std::lock_guard<std::mutex> guard(mutex);
      outcomes[k] = std::move(outcome);
      progress.JobDone(outcomes[k]);
      const auto now = std::chrono::steady_clock::now();
      if (std::chrono::duration<double>(now - last_summary).count() >= 0.25) {
        last_summary = now;
        try {
          io::WriteFileAtomically(summary_path, SummaryCsv(outcomes));
        } catch (const Error&) {
          // Written again at the end, where a failure is reported.
        }
      }
    }
  };
  const int workers = std::max(1, std::min(options.jobs, static_cast<int>(to_run.size())));
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  progress.Finish();
  io::WriteFileAtomically(summary_path, SummaryCsv(outcomes));

  BatchCounts counts;
  counts.total = static_cast<int>(jobs.size());
  counts.resumed = resumed;
  for (const JobOutcome& o : outcomes) (o.status == "ok" ? counts.ok : counts.failed)++;
  return counts;
}

}  // namespace lmm::batch
