#include "common/concurrency/periodic_runner.h"

#include <algorithm>

#include "common/log/log.h"

namespace salesops {

void PeriodicRunner::RunOnce() {
  for (auto& [name, job] : jobs_) {
    absl::Status s = job();
    if (!s.ok()) {
      LogWarning("scheduled job failed; retried next round",
                 {{"job", name}, {"error", std::string(s.message())}});
    }
  }
}

void PeriodicRunner::Start() {
  thread_ = std::thread([this] {
    while (true) {
      const bool open = !gate_ || gate_();
      if (open) {
        RunOnce();
      }
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stop_),
                               open ? interval_ : std::min(interval_, recheck_))) {
        return;
      }
    }
  });
}

void PeriodicRunner::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

}  // namespace salesops
