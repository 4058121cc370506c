// Ownership and the public pool: protection periods, release after N days
// without activity (with a reminder before), and the rules a claim from the
// pool must pass (protection, per-rep ownership and monthly claim limits,
// cool-down for the previous owner). Pure functions; time comes in as `now`.
//
//   SALESOPS_RETURN_IF_ERROR(CheckClaim(policy, facts));
//   absl::Time due = ReleaseDueTime(policy, customer_last_activity);
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "salesops/customers/v1/customers_resources.pb.h"

namespace salesops::customers {

// Shipped default: 30 days protection, release after 90 days without
// activity, reminder 7 days before, 200 owned per rep, 20 claims a month,
// 30 days cool-down.
v1::PoolPolicy DefaultPoolPolicy();
// INVALID_ARGUMENT naming "pool_policy.<field>".
absl::Status ValidatePoolPolicy(const v1::PoolPolicy& policy);

absl::Time ReleaseDueTime(const v1::PoolPolicy& policy, absl::Time last_activity);
// When the owner is reminded (never before last_activity).
absl::Time ReminderTime(const v1::PoolPolicy& policy, absl::Time last_activity);
absl::Time ProtectionUntil(const v1::PoolPolicy& policy, absl::Time from);

// Everything a claim decision depends on, read in one place.
struct ClaimFacts {
  absl::Time now;
  bool in_pool = false;
  absl::Time protection_until = absl::InfinitePast();
  int owned_by_claimant = 0;
  int claims_this_month = 0;
  // The claimant released this customer and may not take it back before this.
  absl::Time cooldown_until = absl::InfinitePast();
};
// FAILED_PRECONDITION with reason CUSTOMER_NOT_IN_POOL, CUSTOMER_PROTECTED,
// OWNED_LIMIT_REACHED, MONTHLY_CLAIM_LIMIT_REACHED or RECLAIM_COOLDOWN.
absl::Status CheckClaim(const v1::PoolPolicy& policy, const ClaimFacts& facts);

// "2026-11": the bucket a claim counts against.
std::string ClaimMonth(absl::Time t, absl::TimeZone tz);

// Whether an owned customer with this last activity is due for release, or
// for its reminder, at `now`.
bool ReleaseDue(const v1::PoolPolicy& policy, absl::Time last_activity, absl::Time now);
bool ReminderDue(const v1::PoolPolicy& policy, absl::Time last_activity, absl::Time now);

}  // namespace salesops::customers
