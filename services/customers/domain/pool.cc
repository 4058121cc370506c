#include "services/customers/domain/pool.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status/errors.h"
#include "services/customers/domain/reasons.h"

namespace salesops::customers {

v1::PoolPolicy DefaultPoolPolicy() {
  v1::PoolPolicy p;
  p.set_name("poolPolicy");
  p.set_protection_days(30);
  p.set_release_after_days(90);
  p.set_reminder_days_before_release(7);
  p.set_max_owned_per_rep(200);
  p.set_max_claims_per_rep_per_month(20);
  p.set_reclaim_cooldown_days(30);
  return p;
}

absl::Status ValidatePoolPolicy(const v1::PoolPolicy& p) {
  Violations v;
  auto range = [&v](const char* field, int value, int lo, int hi) {
    if (value < lo || value > hi) {
      v.Add(absl::StrCat("pool_policy.", field), absl::StrCat("must be between ", lo, " and ", hi));
    }
  };
  range("protection_days", p.protection_days(), 0, 3650);
  range("release_after_days", p.release_after_days(), 1, 3650);
  range("reminder_days_before_release", p.reminder_days_before_release(), 0, 3650);
  range("max_owned_per_rep", p.max_owned_per_rep(), 0, 1'000'000);
  range("max_claims_per_rep_per_month", p.max_claims_per_rep_per_month(), 0, 100'000);
  range("reclaim_cooldown_days", p.reclaim_cooldown_days(), 0, 3650);
  if (v.empty() && p.reminder_days_before_release() >= p.release_after_days()) {
    v.Add("pool_policy.reminder_days_before_release",
          "must be less than release_after_days (the reminder comes before the release)");
  }
  return v.Finish();
}

absl::Time ReleaseDueTime(const v1::PoolPolicy& p, absl::Time last_activity) {
  return last_activity + absl::Hours(24) * p.release_after_days();
}

absl::Time ReminderTime(const v1::PoolPolicy& p, absl::Time last_activity) {
  return std::max(last_activity, ReleaseDueTime(p, last_activity) -
                                     absl::Hours(24) * p.reminder_days_before_release());
}

absl::Time ProtectionUntil(const v1::PoolPolicy& p, absl::Time from) {
  return from + absl::Hours(24) * p.protection_days();
}

absl::Status CheckClaim(const v1::PoolPolicy& p, const ClaimFacts& f) {
  if (!f.in_pool) {
    return FailedPrecondition("CUSTOMER_NOT_IN_POOL",
                              "the customer has an owner; ask for a hand-over instead");
  }
  if (f.now < f.protection_until) {
    return FailedPrecondition(
        "CUSTOMER_PROTECTED",
        absl::StrCat("the customer is protected until ", absl::FormatTime(f.protection_until)));
  }
  if (f.now < f.cooldown_until) {
    return FailedPrecondition(
        reason::kReclaimCooldown,
        absl::StrCat("you released this customer; you may claim it again from ",
                     absl::FormatTime(f.cooldown_until)));
  }
  if (p.max_owned_per_rep() > 0 && f.owned_by_claimant >= p.max_owned_per_rep()) {
    return FailedPrecondition("OWNED_LIMIT_REACHED",
                              absl::StrCat("the rep already owns ", f.owned_by_claimant,
                                           " customers (limit ", p.max_owned_per_rep(), ")"));
  }
  if (p.max_claims_per_rep_per_month() > 0 &&
      f.claims_this_month >= p.max_claims_per_rep_per_month()) {
    return FailedPrecondition(
        "MONTHLY_CLAIM_LIMIT_REACHED",
        absl::StrCat("the rep has claimed ", f.claims_this_month, " customers this month (limit ",
                     p.max_claims_per_rep_per_month(), ")"));
  }
  return absl::OkStatus();
}

std::string ClaimMonth(absl::Time t, absl::TimeZone tz) {
  const absl::CivilMonth m = absl::ToCivilMonth(t, tz);
  return absl::StrFormat("%04d-%02d", m.year(), m.month());
}

bool ReleaseDue(const v1::PoolPolicy& p, absl::Time last_activity, absl::Time now) {
  return now >= ReleaseDueTime(p, last_activity);
}

bool ReminderDue(const v1::PoolPolicy& p, absl::Time last_activity, absl::Time now) {
  return now >= ReminderTime(p, last_activity);
}

}  // namespace salesops::customers
