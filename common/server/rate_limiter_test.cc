#include "common/server/rate_limiter.h"

#include "gtest/gtest.h"

namespace salesops {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
const Principal kRep{"rep-1", Role::kRep, "team-1"};

// A principal gets its burst at once, then is refused with a retry delay.
TEST(RateLimiterTest, BurstThenRefused) {
  FakeClock clock(kT0);
  PrincipalRateLimiter limiter({.per_second = 10, .burst = 5}, clock);
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(limiter.Allow(kRep, nullptr)) << i;
  }
  absl::Duration wait;
  EXPECT_FALSE(limiter.Allow(kRep, &wait));
  EXPECT_GT(wait, absl::ZeroDuration());
  EXPECT_LE(wait, absl::Milliseconds(100));
}

// Tokens come back at the sustained rate.
TEST(RateLimiterTest, RefillsAtRate) {
  FakeClock clock(kT0);
  PrincipalRateLimiter limiter({.per_second = 10, .burst = 1}, clock);
  EXPECT_TRUE(limiter.Allow(kRep, nullptr));
  EXPECT_FALSE(limiter.Allow(kRep, nullptr));
  clock.Advance(absl::Milliseconds(100));
  EXPECT_TRUE(limiter.Allow(kRep, nullptr));
  EXPECT_FALSE(limiter.Allow(kRep, nullptr));
}

// One caller's empty bucket does not limit another caller.
TEST(RateLimiterTest, PerPrincipal) {
  FakeClock clock(kT0);
  PrincipalRateLimiter limiter({.per_second = 1, .burst = 1}, clock);
  EXPECT_TRUE(limiter.Allow(kRep, nullptr));
  EXPECT_FALSE(limiter.Allow(kRep, nullptr));
  EXPECT_TRUE(limiter.Allow({"rep-2", Role::kRep, "team-1"}, nullptr));
}

// Admins get the multiplier's larger bucket; a zero rate disables limiting.
TEST(RateLimiterTest, AdminMultiplierAndDisabled) {
  FakeClock clock(kT0);
  PrincipalRateLimiter limiter({.per_second = 1, .burst = 2, .admin_multiplier = 10}, clock);
  const Principal admin{"root", Role::kAdmin, ""};
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(limiter.Allow(admin, nullptr)) << i;
  }
  EXPECT_FALSE(limiter.Allow(admin, nullptr));
  PrincipalRateLimiter off({.per_second = 0}, clock);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(off.Allow(kRep, nullptr));
  }
}

// The bucket table stays bounded under many distinct callers.
TEST(RateLimiterTest, TableBounded) {
  FakeClock clock(kT0);
  PrincipalRateLimiter limiter({.per_second = 1, .burst = 1, .max_principals = 100}, clock);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(limiter.Allow({"m-" + std::to_string(i), Role::kRep, "t"}, nullptr)) << i;
  }
}

}  // namespace
}  // namespace salesops
