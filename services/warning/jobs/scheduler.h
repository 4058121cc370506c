// Time-based evaluation: conditions that become true with no event (a deal
// stalling, a key customer left alone, a payment staying overdue, grace days
// ending, a period closing). Every evaluation schedules the subject at the
// earliest instant time alone could change a verdict (NextChange); a pass
// evaluates the subjects whose instant has come, with the same engine the
// consumer uses, so both paths agree. Each subject commits on its own,
// guarded on the subject's version, so a pass never overwrites what the
// consumer wrote meanwhile (the subject is simply evaluated again next pass).
//
//   WarningScheduler scheduler(store, engine, clock);
//   PeriodicRunner jobs(absl::Seconds(1));
//   jobs.Add("due", [&] { return scheduler.RunDue().status(); });
#pragma once

#include "absl/status/statusor.h"
#include "common/time/clock.h"
#include "services/warning/events/engine.h"

namespace salesops::warning {

class WarningScheduler {
 public:
  WarningScheduler(WarningStore& store, WarningEngine& engine, const Clock& clock, int batch = 200)
      : store_(store), engine_(engine), clock_(clock), batch_(batch) {}

  // Evaluates every subject due by now. Returns how many were evaluated.
  // First, when no replica is behind (WarningEngine::PeriodsWait), the period
  // subjects whose evaluation was deferred become due.
  absl::StatusOr<int> RunDue();
  // Makes every known subject due now (after a rule changed); the next
  // RunDue re-evaluates them all.
  absl::Status SweepAll();

 private:
  WarningStore& store_;
  WarningEngine& engine_;
  const Clock& clock_;
  int batch_;

  absl::Status ReleaseDeferred();
};

}  // namespace salesops::warning
