// The warning engine's consumer: customer, opportunity, activity, payment and
// contract events (customers topic) and attainment events (targets topic)
// update the subject projections, and the subjects they touched are
// evaluated at once (WarningEngine). The projection change, the warnings and
// their events commit in one script together with the event id
// (ProjectionStore::TryApplyOnce), so a redelivered event changes nothing and
// cannot raise a second warning. A lost race with the scheduler or another
// partition (a version guard) is retried from a fresh read.
#pragma once

#include "common/kafka/consumer.h"
#include "common/projection/projection_store.h"
#include "common/time/clock.h"
#include "services/warning/engine/engine.h"

namespace salesops::warning {

inline constexpr char kEngineGroup[] = "warning-engine";
inline constexpr char kEngineDlq[] = "salesops.warning-engine.dlq.v1";

class WarningConsumer final : public EventHandler {
 public:
  WarningConsumer(ProjectionStore& projections, WarningStore& store, WarningEngine& engine,
                  const Clock& clock)
      : projections_(projections), store_(store), engine_(engine), clock_(clock) {}
  absl::Status Handle(const CloudEvent& event) override;

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
};

}  // namespace salesops::warning
