// The forecast service's computation step, shared by the deal-event
// projection and the scheduled jobs: for some leaves of the roll-up tree (a
// member's product line), recompute their forecasts for every active period
// and category, then every scope above them — the member over all product
// lines, and each org unit up to the root, per product line and over all —
// as exact sums of their children (domain/roll_up.h). The result goes into
// the caller's ForecastChange: the forecast documents that changed, their
// indexes, ForecastUpdated / ForecastGapDetected / ForecastGapClosed events,
// and a guard on the revision of every node involved, bumped by the change.
// Whoever changed a node's forecasts bumped its revision, and every recompute
// reads revisions before anything else, so a recompute that raced another
// fails its guard and is run again on fresh data (the caller retries).
//
//   Pending p;               // what the caller's change does that storage doesn't show yet
//   p.open_added[ScopeKey(leaf.Scope())].insert("o-1");
//   ForecastChange change;
//   SALESOPS_RETURN_IF_ERROR(engine.Recompute({leaf}, p, cause, clock.Now(), change));
//   repo.Commit(change, &event);
//
// Leaves: pipeline-weighted (domain/pipeline_forecast.h) for each category;
// for PIPELINE the scope's stored model choice (ScopeModel, refreshed by the
// job's back-test) may pick the time-series forecast instead. Inner scopes:
// ROLL_UP, with the scope's own time-series forecast as the top-down figure
// the roll-up is reconciled against (the difference is in model_detail).
//
// Periods: the targets service's quarters containing today, and those
// containing the day after the latest of them ("next"); a calendar quarter
// (named as targets names them, "FY2026-Q4") stands in where targets has none.
//
// Thread-safe: caches are locked; no other mutable state.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "services/forecast/domain/deal_history.h"
#include "services/forecast/domain/stage_learning.h"
#include "services/forecast/engine/records.h"
#include "services/forecast/store/forecast_repository.h"
#include "services/forecast/store/org_view.h"
#include "services/forecast/store/scopes.h"

namespace salesops::forecast {

inline constexpr char kForecastSource[] = "/salesops/forecast";

struct EngineOptions {
  absl::TimeZone tz = absl::FixedTimeZone(8 * 3600);
  double confidence = 0.8;
  // ForecastGapDetected when (target - amount) / target exceeds this (PIPELINE).
  int32_t gap_threshold_bp = 1000;
  // Win probability per open stage until a stage has history (cold start).
  std::map<Stage, double> priors = {{Stage::kLead, 0.10},
                                    {Stage::kQualified, 0.25},
                                    {Stage::kProposal, 0.50},
                                    {Stage::kNegotiation, 0.70},
                                    {Stage::kContract, 0.90}};
  int64_t min_sample = kMinSampleSize;
  // How often the stage statistics are re-learned from the closed deals (at most).
  absl::Duration stats_refresh = absl::Seconds(10);
  // At most this many active periods are forecast (oldest start first; the
  // rest are left out with a warning). --forecast_max_periods.
  int max_periods = 8;
  std::string currency = "CNY";
};

// "lead:1000,qualified:2500,…" (basis points, every open stage once) →
// priors; INVALID_ARGUMENT naming `field`.
absl::StatusOr<std::map<Stage, double>> ParsePriors(absl::string_view spec,
                                                    absl::string_view field);

// The stage statistics in use, learned (LearnAsOf: closed deals, and open
// ones aged out) from the history hash of every deal, and learned again when
// a deal closed (checked at most every `refresh`) or after an hour.
// Thread-safe; the statistics themselves are immutable and shared.
class StatsCache {
 public:
  StatsCache(ForecastRepository& repo, const Clock& clock, const EngineOptions& options)
      : repo_(repo), clock_(clock), options_(options) {}
  absl::StatusOr<std::shared_ptr<const StageStatistics>> Get();
  // Re-learns now (the scheduled job).
  absl::Status Reload();

 private:
  absl::Status Load(const std::string& revision);

  ForecastRepository& repo_;
  const Clock& clock_;
  const EngineOptions& options_;
  absl::Mutex mu_;
  std::shared_ptr<const StageStatistics> stats_ ABSL_GUARDED_BY(mu_);
  std::string revision_ ABSL_GUARDED_BY(mu_);
  absl::Time checked_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time loaded_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// A member's product line: where deals are forecast.
struct Leaf {
  std::string team;
  std::string member;
  std::string product_line;
  ScopeId Scope() const { return {team, member, product_line}; }
  bool operator<(const Leaf& o) const {
    return std::tie(team, member, product_line) < std::tie(o.team, o.member, o.product_line);
  }
  bool operator==(const Leaf& o) const = default;
};

// The event that made the engine recompute (empty for the scheduled job).
struct Cause {
  std::string source;
  std::string id;
  std::string trace_id;
  // The consumer applying the cause is behind: the forecasts it writes are
  // provisional (Forecast.provisional) and announce no gap.
  bool provisional = false;
};

// What the caller's change does that storage does not show yet.
struct Pending {
  // Deal records as they will be (read instead of storage).
  absl::flat_hash_map<std::string, DealRecord> deals;
  // Leaf scope key → deal ids entering / leaving its open set.
  std::map<std::string, std::set<std::string>> open_added, open_removed;
  // (month key, scope key) → booked amount being added.
  std::map<std::pair<std::string, std::string>, int64_t> bookings;
};

struct ActivePeriod {
  std::string id;
  Period period;
};

struct EngineStats {
  std::atomic<int64_t> recomputes{0};
  std::atomic<int64_t> forecasts_written{0};
  std::atomic<int64_t> events{0};
};

class ForecastEngine {
 public:
  ForecastEngine(ForecastRepository& repo, OrgView& org, StatsCache& stats,
                 const EngineOptions& options)
      : repo_(repo), org_(org), stats_(stats), options_(options) {}

  // The periods forecast on `today`; adds the calendar-quarter fallbacks it
  // makes up (once) to `change` when given.
  absl::StatusOr<std::vector<ActivePeriod>> ActivePeriods(absl::CivilDay today,
                                                          ForecastChange* change);
  // Drops the cached period list (a period event changed it).
  void InvalidatePeriods();

  // The team and every unit above it, the team first (cached briefly).
  absl::StatusOr<std::vector<std::string>> Chain(const std::string& team);
  // Every scope key a booking of `leaf` counts in: the leaf, the member over
  // all lines, each unit above with the line and over all lines.
  absl::StatusOr<std::vector<std::string>> BookingScopes(const Leaf& leaf);

  // See the header comment. `leaves` may repeat; empty does nothing.
  absl::Status Recompute(const std::vector<Leaf>& leaves, const Pending& pending,
                         const Cause& cause, absl::Time now, ForecastChange& change);

  // A node's target for a period changed (targets' AttainmentUpdated): its
  // all-lines forecasts get the new target, gap and coverage (and their
  // events), guarded like Recompute. Nothing when no forecast exists yet
  // (Recompute reads the target when it makes one).
  absl::Status ApplyTarget(const std::string& period, const std::string& node, const Cause& cause,
                           absl::Time now, int64_t target_minor, ForecastChange& change);

  const EngineOptions& options() const { return options_; }
  const EngineStats& stats() const { return stats_counters_; }

 private:
  struct Figs;
  struct ScopeCalc;
  absl::StatusOr<std::vector<v1::PeriodRecord>> Periods();
  // Fills the forecast document for a computed scope and adds what changed to `change`.
  void Finish(const ScopeCalc& calc, const std::optional<Doc>& existing, int64_t target_minor,
              const ActivePeriod& period, const Cause& cause, absl::Time now,
              ForecastChange& change);

  ForecastRepository& repo_;
  OrgView& org_;
  StatsCache& stats_;
  const EngineOptions& options_;
  EngineStats stats_counters_;

  absl::Mutex mu_;
  std::vector<v1::PeriodRecord> periods_ ABSL_GUARDED_BY(mu_);
  std::string periods_rev_ ABSL_GUARDED_BY(mu_);
  absl::Time periods_checked_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool periods_loaded_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> warned_max_periods_{false};
};

}  // namespace salesops::forecast
