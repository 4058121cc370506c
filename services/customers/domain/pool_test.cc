// Tests for ownership and the public pool: policy validation, release and
// reminder timing at their exact boundaries, the precedence of claim checks,
// and the calendar month a claim counts against.
#include "services/customers/domain/pool.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::customers {
namespace {

using ::testing::ElementsAre;

// A fixed base time: 2026-03-01 09:30:00 UTC.
const absl::Time kBase =
    absl::FromCivil(absl::CivilSecond(2026, 3, 1, 9, 30, 0), absl::UTCTimeZone());

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const FieldViolation& v : FieldViolations(s)) {
    out.push_back(v.field);
  }
  return out;
}

// A claim that passes every rule under the default policy.
ClaimFacts Claimable() {
  ClaimFacts f;
  f.now = kBase;
  f.in_pool = true;
  f.protection_until = kBase - absl::Hours(1);
  f.owned_by_claimant = 10;
  f.claims_this_month = 2;
  f.cooldown_until = kBase - absl::Hours(1);
  return f;
}

TEST(PoolPolicyTest, DefaultPoolPolicyHasTheDocumentedValuesAndValidates) {
  const v1::PoolPolicy p = DefaultPoolPolicy();
  EXPECT_EQ(p.protection_days(), 30);
  EXPECT_EQ(p.release_after_days(), 90);
  EXPECT_EQ(p.reminder_days_before_release(), 7);
  EXPECT_EQ(p.max_owned_per_rep(), 200);
  EXPECT_EQ(p.max_claims_per_rep_per_month(), 20);
  EXPECT_EQ(p.reclaim_cooldown_days(), 30);
  EXPECT_TRUE(ValidatePoolPolicy(p).ok());
}

TEST(PoolPolicyTest, ReminderNotBeforeReleaseNamesReminderDays) {
  for (int reminder : {90, 91}) {
    v1::PoolPolicy p = DefaultPoolPolicy();
    p.set_reminder_days_before_release(reminder);
    const absl::Status s = ValidatePoolPolicy(p);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << reminder;
    EXPECT_EQ(ErrorReason(s), "INVALID_ARGUMENT");
    EXPECT_THAT(Fields(s), ElementsAre("pool_policy.reminder_days_before_release")) << reminder;
  }
}

TEST(PoolPolicyTest, ReminderOneDayBeforeReleaseAndNoReminderAreValid) {
  v1::PoolPolicy p = DefaultPoolPolicy();
  p.set_reminder_days_before_release(89);
  EXPECT_TRUE(ValidatePoolPolicy(p).ok());
  p.set_reminder_days_before_release(0);
  EXPECT_TRUE(ValidatePoolPolicy(p).ok());
}

TEST(PoolPolicyTest, EachOutOfRangeSettingIsNamed) {
  struct Case {
    void (v1::PoolPolicy::*set)(int32_t);
    int value;
    const char* field;
  };
  for (const Case& c : {
           Case{&v1::PoolPolicy::set_protection_days, -1, "pool_policy.protection_days"},
           Case{&v1::PoolPolicy::set_protection_days, 3651, "pool_policy.protection_days"},
           Case{&v1::PoolPolicy::set_release_after_days, 0, "pool_policy.release_after_days"},
           Case{&v1::PoolPolicy::set_release_after_days, 3651, "pool_policy.release_after_days"},
           Case{&v1::PoolPolicy::set_reminder_days_before_release, -1,
                "pool_policy.reminder_days_before_release"},
           Case{&v1::PoolPolicy::set_max_owned_per_rep, -1, "pool_policy.max_owned_per_rep"},
           Case{&v1::PoolPolicy::set_max_owned_per_rep, 1'000'001, "pool_policy.max_owned_per_rep"},
           Case{&v1::PoolPolicy::set_max_claims_per_rep_per_month, -1,
                "pool_policy.max_claims_per_rep_per_month"},
           Case{&v1::PoolPolicy::set_max_claims_per_rep_per_month, 100'001,
                "pool_policy.max_claims_per_rep_per_month"},
           Case{&v1::PoolPolicy::set_reclaim_cooldown_days, -1,
                "pool_policy.reclaim_cooldown_days"},
           Case{&v1::PoolPolicy::set_reclaim_cooldown_days, 3651,
                "pool_policy.reclaim_cooldown_days"},
       }) {
    SCOPED_TRACE(testing::Message() << c.field << " = " << c.value);
    v1::PoolPolicy p = DefaultPoolPolicy();
    (p.*c.set)(c.value);
    const absl::Status s = ValidatePoolPolicy(p);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Fields(s), ElementsAre(c.field));
  }
}

TEST(PoolPolicyTest, RangeLimitsThemselvesAreValid) {
  v1::PoolPolicy p = DefaultPoolPolicy();
  p.set_protection_days(0);
  p.set_release_after_days(3650);
  p.set_max_owned_per_rep(1'000'000);
  p.set_max_claims_per_rep_per_month(0);
  p.set_reclaim_cooldown_days(3650);
  EXPECT_TRUE(ValidatePoolPolicy(p).ok());
  p.set_release_after_days(1);
  p.set_reminder_days_before_release(0);
  EXPECT_TRUE(ValidatePoolPolicy(p).ok());
}

TEST(PoolTimingTest, ReleaseDueTimeIsLastActivityPlusReleaseDays) {
  EXPECT_EQ(ReleaseDueTime(DefaultPoolPolicy(), kBase), kBase + absl::Hours(24 * 90));
}

TEST(PoolTimingTest, ReminderTimeIsReminderDaysBeforeRelease) {
  EXPECT_EQ(ReminderTime(DefaultPoolPolicy(), kBase), kBase + absl::Hours(24 * 83));
  v1::PoolPolicy p = DefaultPoolPolicy();
  p.set_reminder_days_before_release(0);
  EXPECT_EQ(ReminderTime(p, kBase), ReleaseDueTime(p, kBase));
}

TEST(PoolTimingTest, ReminderTimeIsNeverBeforeLastActivity) {
  v1::PoolPolicy p = DefaultPoolPolicy();  // not validated on purpose
  p.set_release_after_days(5);
  p.set_reminder_days_before_release(10);
  EXPECT_EQ(ReminderTime(p, kBase), kBase);
}

TEST(PoolTimingTest, ProtectionUntilIsFromPlusProtectionDays) {
  EXPECT_EQ(ProtectionUntil(DefaultPoolPolicy(), kBase), kBase + absl::Hours(24 * 30));
  v1::PoolPolicy p = DefaultPoolPolicy();
  p.set_protection_days(0);
  EXPECT_EQ(ProtectionUntil(p, kBase), kBase);
}

TEST(PoolTimingTest, ReleaseDueExactlyAtTheBoundary) {
  const v1::PoolPolicy p = DefaultPoolPolicy();
  const absl::Time due = kBase + absl::Hours(24 * 90);
  EXPECT_FALSE(ReleaseDue(p, kBase, kBase));
  EXPECT_FALSE(ReleaseDue(p, kBase, due - absl::Nanoseconds(1)));
  EXPECT_TRUE(ReleaseDue(p, kBase, due));
  EXPECT_TRUE(ReleaseDue(p, kBase, due + absl::Hours(24 * 365)));
}

TEST(PoolTimingTest, ReminderDueExactlyAtTheBoundary) {
  const v1::PoolPolicy p = DefaultPoolPolicy();
  const absl::Time remind = kBase + absl::Hours(24 * 83);
  EXPECT_FALSE(ReminderDue(p, kBase, remind - absl::Nanoseconds(1)));
  EXPECT_TRUE(ReminderDue(p, kBase, remind));
  EXPECT_FALSE(ReleaseDue(p, kBase, remind));  // reminded, not yet released
}

TEST(PoolTimingTest, NewActivityMovesTheReleaseOut) {
  const v1::PoolPolicy p = DefaultPoolPolicy();
  const absl::Time now = kBase + absl::Hours(24 * 90);
  EXPECT_TRUE(ReleaseDue(p, kBase, now));
  EXPECT_FALSE(ReleaseDue(p, kBase + absl::Hours(24), now));
  EXPECT_FALSE(ReminderDue(p, now - absl::Hours(24 * 10), now));
}

TEST(PoolClaimTest, ClaimPassingEveryRuleIsOk) {
  EXPECT_TRUE(CheckClaim(DefaultPoolPolicy(), Claimable()).ok());
}

TEST(PoolClaimTest, ReasonsComeInOrderOfPrecedence) {
  const v1::PoolPolicy p = DefaultPoolPolicy();
  // Everything wrong at once; fix one rule at a time and the next one shows.
  ClaimFacts f = Claimable();
  f.in_pool = false;
  f.protection_until = kBase + absl::Hours(1);
  f.cooldown_until = kBase + absl::Hours(1);
  f.owned_by_claimant = 200;
  f.claims_this_month = 20;
  for (const char* reason : {"CUSTOMER_NOT_IN_POOL", "CUSTOMER_PROTECTED", "RECLAIM_COOLDOWN",
                             "OWNED_LIMIT_REACHED", "MONTHLY_CLAIM_LIMIT_REACHED"}) {
    SCOPED_TRACE(reason);
    const absl::Status s = CheckClaim(p, f);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ErrorReason(s), reason);
    const std::string r = reason;
    if (r == "CUSTOMER_NOT_IN_POOL") {
      f.in_pool = true;
    }
    if (r == "CUSTOMER_PROTECTED") {
      f.protection_until = kBase;
    }
    if (r == "RECLAIM_COOLDOWN") {
      f.cooldown_until = kBase;
    }
    if (r == "OWNED_LIMIT_REACHED") {
      f.owned_by_claimant = 199;
    }
    if (r == "MONTHLY_CLAIM_LIMIT_REACHED") {
      f.claims_this_month = 19;
    }
  }
  EXPECT_TRUE(CheckClaim(p, f).ok());
}

TEST(PoolClaimTest, OwnedCustomerIsNotInPool) {
  ClaimFacts f = Claimable();
  f.in_pool = false;
  const absl::Status s = CheckClaim(DefaultPoolPolicy(), f);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(s), "CUSTOMER_NOT_IN_POOL");
}

TEST(PoolClaimTest, ProtectionEndsExactlyAtProtectionUntil) {
  ClaimFacts f = Claimable();
  f.protection_until = kBase + absl::Nanoseconds(1);
  EXPECT_EQ(ErrorReason(CheckClaim(DefaultPoolPolicy(), f)), "CUSTOMER_PROTECTED");
  f.protection_until = kBase;
  EXPECT_TRUE(CheckClaim(DefaultPoolPolicy(), f).ok());
}

TEST(PoolClaimTest, CooldownEndsExactlyAtCooldownUntil) {
  ClaimFacts f = Claimable();
  f.cooldown_until = kBase + absl::Seconds(1);
  EXPECT_EQ(ErrorReason(CheckClaim(DefaultPoolPolicy(), f)), "RECLAIM_COOLDOWN");
  f.cooldown_until = kBase;
  EXPECT_TRUE(CheckClaim(DefaultPoolPolicy(), f).ok());
}

TEST(PoolClaimTest, DefaultFactsHaveNoProtectionOrCooldown) {
  ClaimFacts f;
  f.now = kBase;
  f.in_pool = true;
  EXPECT_TRUE(CheckClaim(DefaultPoolPolicy(), f).ok());
}

TEST(PoolClaimTest, OwnedLimitIsReachedAtTheLimit) {
  ClaimFacts f = Claimable();
  f.owned_by_claimant = 199;
  EXPECT_TRUE(CheckClaim(DefaultPoolPolicy(), f).ok());
  f.owned_by_claimant = 200;
  EXPECT_EQ(ErrorReason(CheckClaim(DefaultPoolPolicy(), f)), "OWNED_LIMIT_REACHED");
}

TEST(PoolClaimTest, MonthlyLimitIsReachedAtTheLimit) {
  ClaimFacts f = Claimable();
  f.claims_this_month = 19;
  EXPECT_TRUE(CheckClaim(DefaultPoolPolicy(), f).ok());
  f.claims_this_month = 20;
  EXPECT_EQ(ErrorReason(CheckClaim(DefaultPoolPolicy(), f)), "MONTHLY_CLAIM_LIMIT_REACHED");
}

TEST(PoolClaimTest, ZeroLimitsMeanUnlimited) {
  v1::PoolPolicy p = DefaultPoolPolicy();
  p.set_max_owned_per_rep(0);
  p.set_max_claims_per_rep_per_month(0);
  ClaimFacts f = Claimable();
  f.owned_by_claimant = 1'000'000;
  f.claims_this_month = 100'000;
  EXPECT_TRUE(CheckClaim(p, f).ok());
}

TEST(PoolClaimMonthTest, ShanghaiMonthChangesAtLocalMidnightNotUtcMidnight) {
  absl::TimeZone shanghai;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  const absl::TimeZone utc = absl::UTCTimeZone();
  // 2026-10-31 16:00 UTC is 2026-11-01 00:00 in Shanghai (UTC+8).
  const absl::Time local_midnight = absl::FromCivil(absl::CivilSecond(2026, 10, 31, 16, 0, 0), utc);
  EXPECT_EQ(ClaimMonth(local_midnight - absl::Seconds(1), shanghai), "2026-10");
  EXPECT_EQ(ClaimMonth(local_midnight, shanghai), "2026-11");
  EXPECT_EQ(ClaimMonth(local_midnight, utc), "2026-10");
  // Just before the UTC month boundary it is already November in Shanghai.
  const absl::Time utc_midnight = absl::FromCivil(absl::CivilSecond(2026, 11, 1, 0, 0, 0), utc);
  EXPECT_EQ(ClaimMonth(utc_midnight - absl::Seconds(1), shanghai), "2026-11");
  EXPECT_EQ(ClaimMonth(utc_midnight - absl::Seconds(1), utc), "2026-10");
}

TEST(PoolClaimMonthTest, ShanghaiYearBoundaryAndZeroPaddedMonth) {
  absl::TimeZone shanghai;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  const absl::Time t =
      absl::FromCivil(absl::CivilSecond(2026, 12, 31, 16, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(ClaimMonth(t, shanghai), "2027-01");
  EXPECT_EQ(ClaimMonth(t - absl::Seconds(1), shanghai), "2026-12");
}

}  // namespace
}  // namespace salesops::customers
