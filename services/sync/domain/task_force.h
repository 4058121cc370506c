// Task force rules: when a deal gets a task force proposed automatically (the
// TaskForcePolicy: an amount threshold, or a customer tier that qualifies
// whatever the amount, once the deal reaches the trigger stage), what a
// formed task force's members must look like, and the credit split (shares in
// millionths that sum to exactly 1,000,000).
//
//   if (ShouldPropose(policy, deal, tier)) { ... ProposedTaskForce(...) ... }
//   CheckCreditSplit(v, "shares", req.shares(), task_force);
#pragma once

#include <string>

#include "absl/time/time.h"
#include "common/status/errors.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "salesops/customers/v1/customers_resources.pb.h"
#include "salesops/sync/v1/sync_resources.pb.h"

namespace salesops::sync {

inline constexpr int64_t kWholeShare = 1'000'000;
inline constexpr int kMaxTaskForceMembers = 50;
inline constexpr int kMaxMilestones = 50;
inline constexpr int kMaxKeptUpdates = 200;

// Enabled; ¥1,000,000 or more, or a tier-S customer; from PROPOSAL on.
v1::TaskForcePolicy DefaultTaskForcePolicy();
void CheckTaskForcePolicy(Violations& v, const std::string& prefix, const v1::TaskForcePolicy& p);

// Open stages in their order (LEAD 1 … CONTRACT 5); WON/LOST are closed.
bool IsOpenStage(salesops::customers::v1::OpportunityStage s);

// Whether `deal` (its stage, amount and currency as they are now) qualifies
// for an automatic proposal given its customer's tier.
bool ShouldPropose(const v1::TaskForcePolicy& policy,
                   const salesops::customers::v1::Opportunity& deal,
                   salesops::customers::v1::CustomerTier tier);

// The PROPOSED task force for `deal`: the deal's owner as lead (sales), the
// supervisor (when known) as sponsor, the policy's departments invited.
v1::TaskForce ProposedTaskForce(const v1::TaskForcePolicy& policy,
                                const salesops::customers::v1::Opportunity& deal,
                                salesops::customers::v1::CustomerTier tier,
                                const std::string& supervisor_id, absl::Time now);

// Members of a task force being formed or added to: at most 50, unique, valid
// role and function, exactly one LEAD (when `need_lead`), at least one sales
// and one other function (it is cross-department by definition).
void CheckMembers(Violations& v, const std::string& prefix,
                  const google::protobuf::RepeatedPtrField<v1::TaskForceMember>& members,
                  bool need_lead);
void CheckMilestone(Violations& v, const std::string& prefix, const v1::Milestone& m,
                    bool require_title);

// Shares: 1..50 of them, members of the task force, each unique and
// 1..1,000,000, summing to exactly 1,000,000.
void CheckCreditSplit(Violations& v, const std::string& prefix,
                      const google::protobuf::RepeatedPtrField<v1::CreditShare>& shares,
                      const v1::TaskForce& task_force);

}  // namespace salesops::sync
