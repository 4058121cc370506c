// The warning engine's consumer: customer, opportunity, activity, payment and
// contract events (customers topic), attainment events (targets topic) and
// reps' and teams' PIPELINE forecasts (forecast topic: ForecastUpdated,
// ForecastGapDetected / Closed — the forecast-gap rule's facts) update the
// subject projections, and the subjects they touched are
// evaluated at once (WarningEngine). The projection change, the warnings and
// their events commit in one script together with the event id
// (ProjectionStore::TryApplyOnce), so a redelivered event changes nothing and
// cannot raise a second warning. A lost race with the scheduler or another
// partition (a version guard) is retried from a fresh read.
#pragma once

#include "common/kafka/consumer.h"
#include "common/projection/projection_store.h"
#include "common/time/clock.h"
#include "services/warning/events/engine.h"

namespace salesops::warning {

inline constexpr char kEngineGroup[] = "warning-engine";
inline constexpr char kEngineDlq[] = "salesops.warning-engine.dlq.v1";

class WarningConsumer final : public EventHandler {
 public:
  // `lanes`: how many events of different keys a batch evaluates at once.
  WarningConsumer(ProjectionStore& projections, WarningStore& store, WarningEngine& engine,
                  const Clock& clock, int lanes = 4)
      : projections_(projections), store_(store), engine_(engine), clock_(clock), lanes_(lanes) {}
  absl::Status Handle(const CloudEvent& event) override;
  // Events of one Kafka key (one customer, one plan) stay in order on one
  // lane; lanes run in parallel (Redis round trips dominate). After a failure
  // the key's later events in the batch are not attempted (they come back
  // failed and the consumer retries them one by one, in order).
  std::vector<absl::Status> HandleBatch(const std::vector<const CloudEvent*>& events) override;

 private:
  // Decodes the event and loads/updates the subjects it touches. Nothing to
  // do: `subjects` stays empty.
  absl::Status Build(const CloudEvent& event, std::vector<SubjectUpdate>* subjects,
                     absl::flat_hash_map<std::string, int64_t>* delta, WriteBatch* b);
  absl::StatusOr<SubjectUpdate> Load(const std::string& key);

  ProjectionStore& projections_;
  WarningStore& store_;
  WarningEngine& engine_;
  const Clock& clock_;
  int lanes_;
};

}  // namespace salesops::warning
