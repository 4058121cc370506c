// The forecast service's scheduled work, one round per tick of the runtime's
// job runner (--forecast_job_interval):
//
//   snapshots   Once per ISO week, every all-lines forecast of the current
//               period(s) is frozen as a ForecastSnapshot with the people's
//               calls of the moment. The snapshot id is the forecast id plus
//               the week and is written only if absent, so with two service
//               instances (or a crash mid-round) each forecast still gets
//               exactly one snapshot per week.
//   close       When a period has ended, each of its snapshots gets the
//               period's actual bookings, its error, absolute percentage
//               error and whether the actual fell inside the interval.
//   refresh     Every --forecast_refresh_interval (and when the periods
//               changed), one instance — the one whose claim on the meta
//               hash's refresh_at commits — re-learns the stage
//               probabilities from every closed deal (StageProbability
//               documents and a StageProbabilitiesUpdated event), refits each
//               scope's time series and back-tests the member product lines
//               (pipeline-weighted against time series, ScopeModel
//               documents; unchanged scopes are skipped by fingerprint), and
//               recomputes every forecast team by team (ForecastEngine), so
//               forecasts also move with time, not only with deals.
//
//   ForecastJobs jobs(repo, engine, stats, clock, JobOptions{});
//   runtime.AddJob("forecast", [&] { return jobs.RunOnce(); }, absl::Minutes(1));
//
// Thread-safe for one caller at a time (the runtime's job thread).
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "services/forecast/engine/forecast_engine.h"

namespace salesops::forecast {

struct JobOptions {
  absl::Duration refresh_interval = absl::Hours(1);
  // Earlier periods the model choice is back-tested on.
  int backtest_periods = 4;
  // Complete months of history a time series is fitted on, at most.
  int history_months = 36;
  // Documents per commit.
  int batch = 100;
  // The event consumer is working through a backlog (null: never). A refresh
  // then waits (its figures would be partial and keep changing under it), and
  // so it does while any replica wrote a provisional forecast in the last
  // 10 s (ForecastProjection::WatchBacklog marks the store). After that, the
  // next round refreshes and publishes the forecasts current; the mark is
  // cleared once every team was recomputed, unless marked again meanwhile.
  std::function<bool()> behind;
  // The time of that mark.
  const Clock* wall_clock = &SystemWallClock();
};

struct JobStats {
  std::atomic<int64_t> snapshots{0};
  std::atomic<int64_t> snapshots_closed{0};
  std::atomic<int64_t> refreshes{0};
  std::atomic<int64_t> models_fitted{0};
};

class ForecastJobs {
 public:
  ForecastJobs(ForecastRepository& repo, ForecastEngine& engine, StatsCache& stats,
               const Clock& clock, JobOptions options)
      : repo_(repo), engine_(engine), stats_(stats), clock_(clock), options_(options) {}

  // Snapshots, close, refresh (when due); the first error is returned after
  // the others had their turn.
  absl::Status RunOnce();

  // Snapshots taken now (0 when this week's are done).
  absl::StatusOr<int> TakeSnapshots(absl::Time now);
  // Snapshots completed with their actuals.
  absl::StatusOr<int> ClosePeriods(absl::Time now);
  // True when this call did the refresh (due, or `force`, and its claim won).
  absl::StatusOr<bool> Refresh(absl::Time now, bool force);

  const JobStats& stats() const { return stats_counters_; }

 private:
  absl::StatusOr<std::vector<DealRecord>> LoadDeals();
  absl::Status LearnStageProbabilities(const std::vector<DealRecord>& deals, absl::Time now);
  absl::Status FitModels(const std::vector<DealRecord>& deals, absl::Time now);
  // Returns how many teams could not be recomputed (logged; next round).
  absl::StatusOr<int> RecomputeAll(const std::vector<DealRecord>& deals, absl::Time now);
  absl::Status CommitInBatches(std::vector<ForecastChange>& changes);

  ForecastRepository& repo_;
  ForecastEngine& engine_;
  StatsCache& stats_;
  const Clock& clock_;
  JobOptions options_;
  // The first Refresh call of this instance: before any refresh ever ran, the
  // hour a refresh may wait for a consumer behind counts from here.
  std::optional<absl::Time> first_call_;
  JobStats stats_counters_;
};

}  // namespace salesops::forecast
