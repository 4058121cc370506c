// Opportunity pipeline rules: which stage changes are allowed, what each stage
// asks of the rep next (follow-up automation), and validation of an
// opportunity's fields. Pure functions over the resource protos; no I/O.
//
//   if (absl::Status s = CheckStageChange(opp.stage(), req.stage(), req.reason()); !s.ok()) ...
//   std::optional<StageFollowUp> next = FollowUpForStage(OPPORTUNITY_STAGE_PROPOSAL);
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "salesops/customers/v1/customers_resources.pb.h"

namespace salesops::customers {

// The largest amount one deal or contract may carry: 10^14 minor units
// (1 trillion yuan). Far above any real deal, and far enough below INT64_MAX
// that the projections' sums of many deals (attainment, pipeline, revenue)
// cannot overflow: a poison amount is refused at the door, not in a consumer.
inline constexpr int64_t kMaxDealAmountMinor = 100'000'000'000'000;

using v1::OpportunityStage;

bool IsTerminal(OpportunityStage stage);
bool IsOpenStage(OpportunityStage stage);  // LEAD..CONTRACT
// Forward one step (or skip ahead) through LEAD → QUALIFIED → PROPOSAL →
// NEGOTIATION → CONTRACT → WON, back one or more open stages (a deal can
// cool down), or from any open stage to LOST. Terminal stages never change.
bool IsAllowedTransition(OpportunityStage from, OpportunityStage to);
// FAILED_PRECONDITION STAGE_TRANSITION_NOT_ALLOWED naming both stages;
// INVALID_ARGUMENT for an unknown target or LOST without a reason.
absl::Status CheckStageChange(OpportunityStage from, OpportunityStage to,
                              const std::string& reason);
std::string StageName(OpportunityStage stage);  // "negotiation"

// The task a stage asks for when an opportunity enters it.
struct StageFollowUp {
  std::string title;
  absl::Duration due_in;
};
std::optional<StageFollowUp> FollowUpForStage(OpportunityStage stage);

// Field checks for create (and the updatable fields). `now` bounds
// expected_close_date (not before the opportunity's creation day).
// Names fields "opportunity.<field>".
absl::Status ValidateOpportunityFields(const v1::Opportunity& opp, absl::Time created,
                                       absl::TimeZone tz);

// Whole days between two instants (floor, never negative).
int DaysBetween(absl::Time from, absl::Time to);

}  // namespace salesops::customers
