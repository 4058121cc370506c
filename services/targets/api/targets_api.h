// The targets API as a plain class: fiscal periods, target plans and their
// versions, allocation along product line × region × channel × customer type
// and down to teams and reps (exact sums at every level), monthly phasing,
// publishing, live attainment and pace, re-allocation. Domain rules live in
// services/targets/domain; this class validates, authorises and writes one
// atomic batch (with its events) per mutation. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/directory/org_directory.h"
#include "common/server/rpc.h"
#include "common/time/clock.h"
#include "salesops/targets/v1/targets_events.pb.h"
#include "salesops/targets/v1/targets_service.pb.h"
#include "services/targets/domain/rollup.h"
#include "services/targets/store/plan_store.h"
#include "services/targets/store/targets_store.h"

namespace salesops::targets {

inline constexpr char kTargetsTopic[] = "salesops.targets.events.v1";
inline constexpr char kTargetsSource[] = "/salesops/targets";

MethodPolicy TargetsMethodPolicy();

struct TargetsOptions {
  absl::TimeZone tz;
  std::vector<std::string> channels;        // allowed channel codes
  std::vector<std::string> customer_types;  // allowed customer type codes
};

class TargetsApi {
 public:
  // `models`: published plans' models, shared with the attainment projection.
  TargetsApi(TargetsStore& store, org::OrgDirectory& directory, PlanModelCache& models,
             const Clock& clock, TargetsOptions options);

  absl::Status CreateFiscalPeriod(const CallContext& call, const v1::CreateFiscalPeriodRequest& req,
                                  v1::CreateFiscalPeriodResponse* resp);
  absl::Status GetFiscalPeriod(const CallContext& call, const v1::GetFiscalPeriodRequest& req,
                               v1::GetFiscalPeriodResponse* resp);
  absl::Status ListFiscalPeriods(const CallContext& call, const v1::ListFiscalPeriodsRequest& req,
                                 v1::ListFiscalPeriodsResponse* resp);
  absl::Status UpdateFiscalPeriod(const CallContext& call, const v1::UpdateFiscalPeriodRequest& req,
                                  v1::UpdateFiscalPeriodResponse* resp);
  absl::Status DeleteFiscalPeriod(const CallContext& call, const v1::DeleteFiscalPeriodRequest& req,
                                  v1::DeleteFiscalPeriodResponse* resp);
  absl::Status CreatePlan(const CallContext& call, const v1::CreatePlanRequest& req,
                          v1::CreatePlanResponse* resp);
  absl::Status GetPlan(const CallContext& call, const v1::GetPlanRequest& req,
                       v1::GetPlanResponse* resp);
  absl::Status ListPlans(const CallContext& call, const v1::ListPlansRequest& req,
                         v1::ListPlansResponse* resp);
  absl::Status CreatePlanVersion(const CallContext& call, const v1::CreatePlanVersionRequest& req,
                                 v1::CreatePlanVersionResponse* resp);
  absl::Status AllocatePlan(const CallContext& call, const v1::AllocatePlanRequest& req,
                            v1::AllocatePlanResponse* resp);
  absl::Status ListAllocationCells(const CallContext& call,
                                   const v1::ListAllocationCellsRequest& req,
                                   v1::ListAllocationCellsResponse* resp);
  absl::Status SetPhasing(const CallContext& call, const v1::SetPhasingRequest& req,
                          v1::SetPhasingResponse* resp);
  absl::Status PublishPlan(const CallContext& call, const v1::PublishPlanRequest& req,
                           v1::PublishPlanResponse* resp);
  absl::Status GetAttainment(const CallContext& call, const v1::GetAttainmentRequest& req,
                             v1::GetAttainmentResponse* resp);
  absl::Status ListAttainment(const CallContext& call, const v1::ListAttainmentRequest& req,
                              v1::ListAttainmentResponse* resp);
  absl::Status SuggestReallocation(const CallContext& call,
                                   const v1::SuggestReallocationRequest& req,
                                   v1::SuggestReallocationResponse* resp);
  absl::Status ApplyReallocation(const CallContext& call, const v1::ApplyReallocationRequest& req,
                                 v1::ApplyReallocationResponse* resp);

  // Org changes (from org events): the open target of a member who moved
  // from one team to another follows the rule documented in the README —
  // it moves with them when the new team is in the plan, otherwise it is
  // shared by the old team's remaining reps — as a new, published version of
  // every current plan that has a target for them. `change_id` (the event id)
  // makes a redelivery a no-op. Returns the new plan names.
  absl::StatusOr<std::vector<std::string>> ApplyMemberMove(const std::string& member_id,
                                                           const std::string& from_team,
                                                           const std::string& to_team,
                                                           const std::string& change_id,
                                                           const std::string& reason);

 private:
  absl::Status RedactPlanFor(const Principal& who, v1::TargetPlan& plan);
  absl::Status PublishOnce(const CallContext& call, const v1::PublishPlanRequest& req,
                           v1::PublishPlanResponse* resp);

  // A plan version with its attainment counters: kept live by the projection
  // for published versions, computed from the period's bookings for drafts.
  struct Measured {
    std::shared_ptr<const PlanModel> model;
    bool live = false;
    absl::flat_hash_map<std::string, int64_t> counters;
    int64_t Get(const std::string& field) const;
  };
  // The named plan, or the published plan of the period.
  absl::StatusOr<Measured> LoadMeasured(const std::string& plan_name,
                                        const std::string& period_name);
  absl::StatusOr<v1::Attainment> SubjectAttainment(const Measured& m, const RollupSubject& s,
                                                   RollupDimension* breakdown, absl::Time now);
  // Stages in `b` a version's counters computed from every booking of its
  // period, guarded by the bookings revision they were computed at.
  absl::Status StageCounters(const PlanModel& model, WriteBatch& b,
                             absl::flat_hash_map<std::string, int64_t>* counters);

  TargetsStore& store_;
  org::OrgDirectory& directory_;
  PlanModelCache& models_;
  const Clock& clock_;
  TargetsOptions options_;
};

}  // namespace salesops::targets
