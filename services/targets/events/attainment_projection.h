// Live attainment from the customers service's events, effectively once:
//   OpportunityWon   → bookings history, and actuals of BOOKING-basis plans
//   PaymentReceived  → actuals of COLLECTION-basis plans (refunds subtract)
//   OpportunityCreated / StageChanged / Won / Lost → the open pipeline per
//                      dimension value (the potential-weighted method's facts)
// Each event's changes (and the AttainmentUpdated events it causes) commit in
// one script together with its id, so a redelivered event changes nothing.
// A deal counts towards every cell of the published plan for the period of
// its date whose fixed dimensions, team and rep match it.
#pragma once

#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/kafka/consumer.h"
#include "common/projection/projection_store.h"
#include "common/time/clock.h"
#include "salesops/targets/v1/targets_resources.pb.h"
#include "services/targets/api/plan_model.h"

namespace salesops::targets {

inline constexpr char kAttainmentGroup[] = "targets-attainment";
inline constexpr char kAttainmentDlq[] = "salesops.targets-attainment.dlq.v1";

class AttainmentProjection final : public EventHandler {
 public:
  AttainmentProjection(ProjectionStore& projections, TargetsStore& store, const Clock& clock,
                       absl::TimeZone tz)
      : projections_(projections), store_(store), clock_(clock), tz_(tz) {}
  absl::Status Handle(const CloudEvent& event) override;

 private:
  // Published plans do not change: their cells are cached by plan id.
  absl::StatusOr<std::shared_ptr<const std::vector<v1::AllocationCell>>> CellsOf(
      const std::string& plan_id);
  // Adds actuals for a deal dated `day` to matching cells of the published
  // plans with that basis; appends AttainmentUpdated events.
  absl::Status AddActual(const CloudEvent& cause, const DealFacts& deal, absl::CivilDay day,
                         v1::AttainmentBasis basis, WriteBatch& b);

  ProjectionStore& projections_;
  TargetsStore& store_;
  const Clock& clock_;
  absl::TimeZone tz_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const std::vector<v1::AllocationCell>>> cells_
      ABSL_GUARDED_BY(mu_);
  // A published plan's content and its period never change (a change is a new
  // version): cached by plan id. Which plans are published is read every time.
  struct PlanInfo {
    v1::TargetPlan plan;
    v1::FiscalPeriod period;
  };
  absl::flat_hash_map<std::string, std::shared_ptr<const PlanInfo>> plans_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salesops::targets
