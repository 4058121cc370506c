// Live attainment from the customers service's events, effectively once:
//   OpportunityWon   → bookings history, and actuals of BOOKING-basis plans
//   PaymentReceived  → actuals of COLLECTION-basis plans (refunds subtract)
//   OpportunityCreated / StageChanged / Won / Lost → the open pipeline per
//                      dimension value (the potential-weighted method's facts)
// Each event's changes (and the AttainmentUpdated events it causes) commit in
// one script together with its id, so a redelivered event changes nothing.
// A booking is kept as a fact of its month (so a plan published later counts
// it too), and counts towards every published plan of its period: the cells
// whose fixed dimensions, team and rep match it, and the roll-ups of its rep,
// team, region and company (domain/rollup.h) — unplanned where no cell
// covers it. One AttainmentUpdated per roll-up subject it moved; a
// BookingUnplanned when no cell covered it.
#pragma once

#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/kafka/consumer.h"
#include "common/projection/projection_store.h"
#include "common/time/clock.h"
#include "salesops/targets/v1/targets_events.pb.h"
#include "salesops/targets/v1/targets_resources.pb.h"
#include "services/targets/store/plan_store.h"

namespace salesops::targets {

inline constexpr char kAttainmentGroup[] = "targets-attainment";
inline constexpr char kAttainmentDlq[] = "salesops.targets-attainment.dlq.v1";

class AttainmentProjection final : public EventHandler {
 public:
  // `models`: published plans' models (shared with the API).
  AttainmentProjection(ProjectionStore& projections, TargetsStore& store, PlanModelCache& models,
                       const Clock& clock, absl::TimeZone tz)
      : projections_(projections), store_(store), models_(models), clock_(clock), tz_(tz) {}
  absl::Status Handle(const CloudEvent& event) override;

 private:
  // The whole change an event makes, guarded by the plans revision it read.
  absl::StatusOr<WriteBatch> BatchFor(const CloudEvent& event);
  // Records the booking as a fact of its month and adds it to every published
  // plan of its period with that basis; appends the events it causes.
  absl::Status AddBooking(const CloudEvent& cause, const DealFacts& deal, absl::CivilDay day,
                          v1::AttainmentBasis basis, WriteBatch& b);

  ProjectionStore& projections_;
  TargetsStore& store_;
  PlanModelCache& models_;
  const Clock& clock_;
  absl::TimeZone tz_;
};

// The AttainmentUpdated event of a roll-up figure.
v1::AttainmentUpdated AttainmentEvent(const v1::Attainment& a, const v1::FiscalPeriod& period,
                                      const std::string& cause_source, const std::string& cause_id);

}  // namespace salesops::targets
