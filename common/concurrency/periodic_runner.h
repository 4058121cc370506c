// Runs a fixed list of jobs every `interval` on one background thread until
// Stop(), which waits for the current round. Used for scheduled work: the
// customers service's pool release, reminders, overdue tasks and payments and
// re-tiering; the warning engine's time-based evaluation. Jobs must be
// idempotent, so a round cut short by a crash is simply done again. With a
// gate (e.g. "this replica holds the jobs lease"), a round runs only when the
// gate says so; while it is closed, it is asked again every `recheck` (or
// interval, if shorter), so a replica that takes the jobs over runs them soon.
//
//   PeriodicRunner jobs(absl::Seconds(5));
//   jobs.Add("pool", [&] { return api.RunPoolJob(500).status(); });
//   jobs.Start();  ...  jobs.Stop();
#pragma once

#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace salesops {

class PeriodicRunner {
 public:
  explicit PeriodicRunner(absl::Duration interval) : interval_(interval) {}
  ~PeriodicRunner() { Stop(); }

  void Add(std::string name, std::function<absl::Status()> job) {
    jobs_.emplace_back(std::move(name), std::move(job));
  }
  // Checked before each round of Start()'s thread; not by RunOnce().
  void SetGate(std::function<bool()> gate, absl::Duration recheck = absl::Seconds(1)) {
    gate_ = std::move(gate);
    recheck_ = recheck;
  }
  void Start();
  void Stop();
  // Runs every job once on the calling thread (tests, and the first round).
  void RunOnce();

 private:
  absl::Duration interval_;
  std::vector<std::pair<std::string, std::function<absl::Status()>>> jobs_;
  std::function<bool()> gate_;
  absl::Duration recheck_;
  std::thread thread_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace salesops
