#include "batch/progress.h"

#include <fmt/format.h>

#include <string>

namespace lmm::batch {
namespace {

std::string Clock(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
                   : fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace

Progress::Progress(int total, int already_done, bool terminal, std::FILE* out)
    : total_(total),
      done_(already_done),
      terminal_(terminal),
      out_(out),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void Progress::JobDone(const JobOutcome& outcome) {
  ++done_;
  ++run_;
  if (outcome.status != "ok") ++failed_;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? run_ / elapsed : 0;
  const double eta = rate > 0 ? (total_ - done_) / rate : 0;
  if (!terminal_) {
    std::string what = outcome.status;
    if (outcome.status != "ok") {
      std::string first_line = outcome.message.substr(0, outcome.message.find('\n'));
      what += fmt::format(" (exit {}): {}", outcome.exit_code, first_line);
    }
    fmt::print(out_, "lmmgpu batch: [{}/{}] {} {} in {:.2f} s\n", done_, total_, outcome.id, what,
               outcome.seconds);
    std::fflush(out_);
    return;
  }
  // Redraw at most 10 times a second, and always for the last job.
  if (done_ < total_ && std::chrono::duration<double>(now - last_draw_).count() < 0.1) return;
  last_draw_ = now;
  fmt::print(out_, "\r\033[K[{}/{}] {} failed | {:.2f} jobs/s | elapsed {} | ETA {}", done_, total_,
             failed_, rate, Clock(elapsed), done_ < total_ ? Clock(eta) : "0:00");
  std::fflush(out_);
}

void Progress::Finish() {
  if (terminal_ && run_ > 0) {
    std::fputc('\n', out_);
    std::fflush(out_);
  }
}

}  // namespace lmm::batch
