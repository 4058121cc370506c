// Time as a dependency: everything time-based takes a Clock& so tests can move
// a FakeClock instead of sleeping.
//
//   FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
//   service.Tick(clock);  clock.Advance(absl::Hours(24));
#pragma once

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace salesops {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// Wall-clock time. Thread-safe.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// One SystemClock for everyone: the default of options that take a clock.
const Clock& SystemWallClock();

// A clock tests set and advance by hand. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

// Wall-clock time plus an offset read from a file (whole seconds, e.g.
// "1296000" = 15 days ahead; absent or empty file = 0). For end-to-end tests
// of time-based behaviour across processes (a deal stalling for two weeks):
// the test moves every service's business clock by rewriting one file. The
// file is re-read at most every 100 ms. Never configured in production
// (--clock_offset_file is empty by default and the service logs a warning
// when it is set). Thread-safe.
class OffsetFileClock final : public Clock {
 public:
  explicit OffsetFileClock(std::string path) : path_(std::move(path)) {}
  absl::Time Now() const override;

 private:
  std::string path_;
  mutable absl::Mutex mu_;
  mutable absl::Time read_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  mutable absl::Duration offset_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
};

}  // namespace salesops
