#include "common/auth/principal_resolver.h"

#include "absl/synchronization/mutex.h"
#include "common/status/errors.h"
#include "gtest/gtest.h"

namespace salesops {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

class FakeLookup final : public MemberLookup {
 public:
  absl::StatusOr<std::optional<CurrentMember>> Lookup(const std::string& id) override {
    absl::MutexLock lock(&mu_);
    ++calls;
    if (down) {
      return absl::UnavailableError("redis down");
    }
    auto it = members.find(id);
    if (it == members.end()) {
      return std::nullopt;
    }
    return it->second;
  }
  absl::Mutex mu_;
  std::map<std::string, CurrentMember> members;
  bool down = false;
  int calls = 0;
};

Principal Sup() { return {"sup-1", Role::kSupervisor, "team-1"}; }

// A member the org still lists with the token's role and unit passes.
TEST(PrincipalResolverTest, CurrentMemberPasses) {
  EXPECT_TRUE(CheckAgainst(Sup(), CurrentMember{Role::kSupervisor, "team-1", false}).ok());
}

// A member the directory does not know yet passes on the issuer's word.
TEST(PrincipalResolverTest, UnknownMemberPasses) {
  EXPECT_TRUE(CheckAgainst(Sup(), std::nullopt).ok());
}

// Left, demoted and moved members are refused with a reason saying which.
TEST(PrincipalResolverTest, LeftDemotedMovedRefused) {
  absl::Status left = CheckAgainst(Sup(), CurrentMember{Role::kSupervisor, "team-1", true});
  EXPECT_EQ(left.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ErrorReason(left), "MEMBER_LEFT");
  absl::Status demoted = CheckAgainst(Sup(), CurrentMember{Role::kRep, "team-1", false});
  EXPECT_EQ(ErrorReason(demoted), "TOKEN_STALE");
  absl::Status moved = CheckAgainst(Sup(), CurrentMember{Role::kSupervisor, "team-2", false});
  EXPECT_EQ(ErrorReason(moved), "TOKEN_STALE");
  // A promotion also needs a new token: the old one says less than the truth.
  EXPECT_EQ(ErrorReason(CheckAgainst(Sup(), CurrentMember{Role::kManager, "team-1", false})),
            "TOKEN_STALE");
}

// Answers are cached for the TTL, then looked up again: a departure takes
// effect within one TTL.
TEST(PrincipalResolverTest, CachesForTtlThenSeesChange) {
  FakeLookup lookup;
  lookup.members["sup-1"] = {Role::kSupervisor, "team-1", false};
  FakeClock clock(kT0);
  CachingPrincipalResolver resolver(lookup, clock, absl::Seconds(2));
  EXPECT_TRUE(resolver.Check(Sup()).ok());
  EXPECT_TRUE(resolver.Check(Sup()).ok());
  EXPECT_EQ(lookup.calls, 1);
  lookup.members["sup-1"].left = true;
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(resolver.Check(Sup()).ok());  // still cached
  clock.Advance(absl::Seconds(2));
  EXPECT_EQ(ErrorReason(resolver.Check(Sup())), "MEMBER_LEFT");
  EXPECT_EQ(lookup.calls, 2);
}

// CheckCached answers only from a fresh entry, with Check's answer, and never
// looks up; once the entry expires it says "look it up" (nullopt).
TEST(PrincipalResolverTest, CheckCachedAnswersOnlyFromAFreshEntry) {
  FakeLookup lookup;
  lookup.members["sup-1"] = {Role::kSupervisor, "team-1", false};
  lookup.members["gone"] = {Role::kRep, "team-1", true};
  FakeClock clock(kT0);
  CachingPrincipalResolver resolver(lookup, clock, absl::Seconds(2));
  const Principal gone{"gone", Role::kRep, "team-1"};
  EXPECT_FALSE(resolver.CheckCached(Sup()).has_value());
  EXPECT_EQ(lookup.calls, 0);
  ASSERT_TRUE(resolver.Check(Sup()).ok());
  ASSERT_FALSE(resolver.Check(gone).ok());
  ASSERT_TRUE(resolver.CheckCached(Sup()).has_value());
  EXPECT_TRUE(resolver.CheckCached(Sup())->ok());
  ASSERT_TRUE(resolver.CheckCached(gone).has_value());
  EXPECT_EQ(ErrorReason(*resolver.CheckCached(gone)), "MEMBER_LEFT");
  // The cached answer is checked against this token's claims: a token with
  // another role than the org's is stale even while cached.
  ASSERT_TRUE(resolver.CheckCached({"sup-1", Role::kRep, "team-1"}).has_value());
  EXPECT_FALSE(resolver.CheckCached({"sup-1", Role::kRep, "team-1"})->ok());
  clock.Advance(absl::Seconds(3));
  EXPECT_FALSE(resolver.CheckCached(Sup()).has_value());
  EXPECT_EQ(lookup.calls, 2);
}

// When the org view cannot be read the call fails closed (UNAVAILABLE), not open.
TEST(PrincipalResolverTest, LookupFailureFailsClosed) {
  FakeLookup lookup;
  lookup.down = true;
  FakeClock clock(kT0);
  CachingPrincipalResolver resolver(lookup, clock, absl::Seconds(2));
  EXPECT_EQ(resolver.Check(Sup()).code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace salesops
