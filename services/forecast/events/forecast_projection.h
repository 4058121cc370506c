// The forecast service's consumer (group forecast-engine): customers' deal
// events and targets' period and attainment events, effectively once.
//
//   OpportunityCreated / StageChanged / Updated / Won / Lost
//       → the deal's record (stage entries by business day), the open deals
//         of its member's product line, the closed-deal history stage
//         learning reads, the monthly bookings of every scope above a won
//         deal — and the affected forecasts recomputed at once
//         (ForecastEngine::Recompute), for every active period.
//   FiscalPeriodCreated / Updated / Deleted (quarters) → the periods forecast.
//   AttainmentUpdated (REP, TEAM, REGION, COMPANY roll-ups) → the scope's
//         target; its forecasts get the new gap (ForecastEngine::ApplyTarget).
//
// Each event's whole change — record, indexes, counters, forecasts and the
// events they cause — commits in one script together with the event id
// (ForecastRepository::Commit with a cause), so a redelivered event changes
// nothing. A lost race (another instance recomputed a shared scope) is
// retried from a fresh read; a record that is not a valid event of its type,
// or names no opportunity / team, fails with INVALID_ARGUMENT and ends in the
// dead-letter topic (salesops.forecast-engine.dlq.v1) after the consumer's
// attempts.
//
//   ForecastProjection projection(repo, engine, clock);
//   runtime.AddConsumer({.group_id = kEngineGroup, .topics = {customers, targets},
//                        .dlq_topic = kEngineDlq}, projection);
#pragma once

#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "common/kafka/consumer.h"
#include "common/time/clock.h"
#include "services/forecast/engine/forecast_engine.h"

namespace salesops::forecast {

inline constexpr char kEngineGroup[] = "forecast-engine";
inline constexpr char kEngineDlq[] = "salesops.forecast-engine.dlq.v1";
inline constexpr char kDirectoryGroup[] = "forecast-org-directory";
inline constexpr char kDirectoryDlq[] = "salesops.forecast-org-directory.dlq.v1";

struct ProjectionStats {
  std::atomic<int64_t> applied{0};
  std::atomic<int64_t> batches{0};
  std::atomic<int64_t> duplicates{0};
  std::atomic<int64_t> conflicts{0};
};

class ForecastProjection final : public EventHandler {
 public:
  ForecastProjection(ForecastRepository& repo, ForecastEngine& engine, const Clock& clock)
      : repo_(repo), engine_(engine), clock_(clock) {}
  absl::Status Handle(const CloudEvent& event) override;
  // A consumer catching up hands over batches: 8 or more deal events are
  // folded in order and applied in one commit with all their ids (one
  // recompute of everything they touched — the forecasts name the batch's
  // last event as cause); a batch with period or target events, a poison
  // record or an event seen before is applied event by event, in order.
  std::vector<absl::Status> HandleBatch(const std::vector<const CloudEvent*>& events) override;

  const ProjectionStats& stats() const { return stats_; }

  // `behind`: the consumer is working through a backlog. The forecasts written
  // meanwhile are provisional (no gap announced), and the store is marked with
  // the time (`wall`) so that the refresh computes them again once no replica
  // has written one for a while (ForecastJobs).
  void WatchBacklog(std::function<bool()> behind, const Clock& wall = SystemWallClock()) {
    behind_ = std::move(behind);
    wall_ = &wall;
  }

 private:
  Cause CauseOf(const CloudEvent& event, ForecastChange& change) const;
  // Builds the event's change from a fresh read; an empty change = nothing to do.
  absl::Status Build(const CloudEvent& event, ForecastChange& change);
  absl::Status BuildDeal(const CloudEvent& event, ForecastChange& change);
  absl::Status HandleTogether(const std::vector<const CloudEvent*>& events);
  // One deal's record as read (`before`, `version`, `stored` bytes) and as
  // folded (`after`).
  struct DealState {
    std::string id;
    std::optional<DealRecord> before;
    std::optional<DealRecord> after;
    int64_t version = 0;
    std::string stored;
  };
  absl::StatusOr<std::string> DealIdOf(const CloudEvent& event) const;
  static absl::StatusOr<DealState> LoadDeal(const std::string& id, const std::optional<Doc>& doc);
  // The record, its indexes, history and bookings from `before` to `after`;
  // the leaves to recompute.
  absl::Status AddDeal(const DealState& deal, ForecastChange& change, Pending& pending,
                       std::vector<Leaf>& leaves);
  absl::Status BuildPeriod(const CloudEvent& event, ForecastChange& change);
  absl::Status BuildTarget(const CloudEvent& event, ForecastChange& change);

  ForecastRepository& repo_;
  ForecastEngine& engine_;
  const Clock& clock_;
  const Clock* wall_ = &SystemWallClock();
  std::function<bool()> behind_;
  ProjectionStats stats_;
};

// Folds one customers deal event into the deal's record (nullopt: none yet).
// Returns nullopt when the event is not a deal event. INVALID_ARGUMENT naming
// the field for an event that cannot be applied. Pure; `tz` decides days.
absl::StatusOr<std::optional<DealRecord>> FoldDealEvent(const std::optional<DealRecord>& before,
                                                        const CloudEvent& event, absl::TimeZone tz,
                                                        const std::string& currency);

}  // namespace salesops::forecast
