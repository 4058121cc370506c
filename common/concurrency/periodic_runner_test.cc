#include "common/concurrency/periodic_runner.h"

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace salesops {
namespace {

// Counts job runs and gate checks; tests wait on these counts (barriers).
struct Counts {
  absl::Mutex mu;
  int runs ABSL_GUARDED_BY(mu) = 0;
  int checks ABSL_GUARDED_BY(mu) = 0;
  bool open ABSL_GUARDED_BY(mu) = false;

  void WaitFor(int* field, int at_least) {
    auto reached = [field, at_least] { return *field >= at_least; };
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(30)));
  }
};

TEST(PeriodicRunnerTest, RunsEveryRoundWithoutAGate) {
  Counts c;
  PeriodicRunner runner(absl::Milliseconds(1));
  runner.Add("count", [&] {
    absl::MutexLock lock(&c.mu);
    ++c.runs;
    return absl::OkStatus();
  });
  runner.Start();
  c.WaitFor(&c.runs, 3);
  runner.Stop();
}

TEST(PeriodicRunnerTest, AClosedGateSkipsRoundsAndAnOpenedOneRunsThem) {
  Counts c;
  PeriodicRunner runner(absl::Hours(1));  // only the gate's recheck wakes it
  runner.Add("count", [&] {
    absl::MutexLock lock(&c.mu);
    ++c.runs;
    return absl::OkStatus();
  });
  runner.SetGate(
      [&] {
        absl::MutexLock lock(&c.mu);
        ++c.checks;
        return c.open;
      },
      /*recheck=*/absl::Milliseconds(1));
  runner.Start();
  c.WaitFor(&c.checks, 5);  // five rounds asked for, and refused
  {
    absl::MutexLock lock(&c.mu);
    EXPECT_EQ(c.runs, 0);
    c.open = true;
  }
  // Rechecked on the short period even though the interval is an hour.
  c.WaitFor(&c.runs, 1);
  runner.Stop();
  absl::MutexLock lock(&c.mu);
  EXPECT_EQ(c.runs, 1) << "after an open round the runner waits the full interval";
}

TEST(PeriodicRunnerTest, RunOnceIgnoresTheGate) {
  int runs = 0;
  PeriodicRunner runner(absl::Hours(1));
  runner.Add("count", [&] {
    ++runs;
    return absl::OkStatus();
  });
  runner.SetGate([] { return false; });
  runner.RunOnce();
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace salesops
