// The revenue projection behind the team-efficiency view: won revenue, won
// deals and the region × product line cells won, per team and month, kept
// from the customers topic's OpportunityWon events, effectively once (the
// event id is recorded in the same Redis transaction as the change). Other
// event types are acknowledged and ignored; an OpportunityWon without a team,
// a valid date or in another currency than CNY is dead-lettered.
//
//   ProjectionStore store(outbox, OrgKey("revenue:seen:"));
//   RevenueProjection revenue(store);   // an EventHandler for KafkaEventConsumer
#pragma once

#include <optional>

#include "common/kafka/consumer.h"
#include "common/projection/projection_store.h"

namespace salesops::org {

inline constexpr char kCustomersTopic[] = "salesops.customers.events.v1";
inline constexpr char kRevenueGroup[] = "org-revenue";
inline constexpr char kRevenueDlq[] = "salesops.org-revenue.dlq.v1";

class RevenueProjection final : public EventHandler {
 public:
  explicit RevenueProjection(ProjectionStore& store) : store_(store) {}
  absl::Status Handle(const CloudEvent& event) override;
  // Counters and set adds commute, so batches may apply out of order.
  std::vector<absl::Status> HandleBatch(const std::vector<const CloudEvent*>& events) override;

  // The projection change for an event; nullopt for events it ignores.
  static absl::StatusOr<std::optional<WriteBatch>> ChangeFor(const CloudEvent& event);

 private:
  ProjectionStore& store_;
};

}  // namespace salesops::org
