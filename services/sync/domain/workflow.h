// State rules of campaign leads and customer receptions, and the overdue
// rule both SLAs share.
//
//   SALESOPS_RETURN_IF_ERROR(CheckLeadStep(lead.state(), v1::LEAD_STATE_CONTACTED));
//   if (IsOverdue(due, now)) ...
#pragma once

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "salesops/sync/v1/sync_resources.pb.h"

namespace salesops::sync {

// HANDED_OVER → CONTACTED; HANDED_OVER / CONTACTED → QUALIFIED or
// DISQUALIFIED; QUALIFIED → WON / LOST (from the deal's events).
// FAILED_PRECONDITION LEAD_STATE otherwise.
absl::Status CheckLeadStep(v1::LeadState from, v1::LeadState to);

// PLANNED → CONFIRMED, DONE or CANCELLED; CONFIRMED → DONE or CANCELLED.
absl::Status CheckReceptionStep(v1::ReceptionState from, v1::ReceptionState to);

// The delivery of a lead's first contact or a feedback answer is late.
inline bool IsOverdue(absl::Time due, absl::Time now) { return now >= due; }

}  // namespace salesops::sync
