// Operations shared by the API methods and the scheduled jobs (not a public API).
#pragma once

#include "absl/status/statusor.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "services/customers/api/api_helpers.h"

namespace salesops::customers {

struct TierResult {
  v1::Customer customer;  // after (etag set)
  bool changed = false;
};
// Scores the customer from its deals, stores the breakdown, moves the tier
// index and emits CustomerTierChanged when the tier changed; reschedules the
// next evaluation. ABORTED when the customer changed meanwhile.
// The scoring and the write of one re-evaluation, given the customer's deals
// (no I/O): shared by ReTier and the batched tier job.
TierResult PlanReTier(const internal::Policies& policies, const Versioned<v1::Customer>& cur,
                      const std::vector<Versioned<v1::Opportunity>>& opps,
                      v1::TierEvaluationTrigger trigger, const CallContext& call, absl::Time now,
                      WriteBatch& b);
absl::StatusOr<TierResult> ReTier(CustomersStore& store, const internal::Policies& policies,
                                  Versioned<v1::Customer>& cur, v1::TierEvaluationTrigger trigger,
                                  const CallContext& call, absl::Time now);

absl::Status ReleaseToPool(CustomersStore& store, const internal::Policies& policies,
                           Versioned<v1::Customer>& cur, v1::ReleaseReason reason,
                           const std::string& note, int days_idle, const CallContext& call,
                           absl::Time now, v1::Customer* out);

// Stage-change events (plus OpportunityWon / OpportunityLost) and the next
// stage's follow-up task, into `b`.
void EmitStageChange(WriteBatch& b, const CallContext& call, const v1::Opportunity& before,
                     const v1::Opportunity& after, const std::string& reason, absl::Time at,
                     absl::TimeZone tz);

// The identity scheduled jobs act as in events (Actor) and checks.
CallContext SystemCall(const std::string& job);

}  // namespace salesops::customers
