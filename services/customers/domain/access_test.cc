// Tests for customer access: owner scope per role, sharing grants (per
// customer and by selector, revoked/expired, matched through the viewer's
// ancestor units), the public pool, and minimising personal data.
#include "services/customers/domain/access.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::customers {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2026, 5, 1, 8, 0, 0), absl::UTCTimeZone());

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

Principal Who(Role role, std::string member, std::string unit) {
  Principal p;
  p.role = role;
  p.member_id = std::move(member);
  p.org_unit_id = std::move(unit);
  return p;
}

// Owned by rep "m1" in team "t1" of region "r1"; tier A, manufacturing.
v1::Customer OwnedCustomer() {
  v1::Customer c;
  c.set_name("customers/c1");
  c.set_display_name("杭州某某科技有限公司");
  c.set_owner("members/m1");
  c.set_team("orgUnits/t1");
  c.mutable_tags()->set_region("orgUnits/r1");
  c.mutable_tags()->set_industry("manufacturing");
  c.set_tier(v1::CUSTOMER_TIER_A);
  c.set_pool_state(v1::POOL_STATE_OWNED);
  return c;
}

v1::Customer PoolCustomer() {
  v1::Customer c = OwnedCustomer();
  c.clear_owner();
  c.clear_team();
  c.set_pool_state(v1::POOL_STATE_PUBLIC_POOL);
  return c;
}

v1::SharingGrant GrantForCustomer(const std::string& customer, const std::string& grantee,
                                  v1::SharingAccess access) {
  v1::SharingGrant g;
  g.set_name("sharingGrants/g");
  g.set_customer(customer);
  g.set_grantee(grantee);
  g.set_access(access);
  g.set_purpose("市场部做行业案例");
  return g;
}

v1::SharingGrant SelectorGrant(const std::string& grantee, v1::SharingAccess access) {
  return GrantForCustomer("", grantee, access);
}

// A marketing analyst in team "mk1" of department "mk".
Viewer Marketing() { return Viewer{Who(Role::kRep, "m9", "mk1"), {"mk1", "mk", "root"}}; }

// ---- Owner scope ----------------------------------------------------------------

TEST(AccessScopeTest, RepSeesOnlyTheirOwnCustomers) {
  const OwnershipScope s{"m1", "t1", "r1"};
  EXPECT_TRUE(InOwnerScope(Who(Role::kRep, "m1", "t1"), s));
  EXPECT_FALSE(InOwnerScope(Who(Role::kRep, "m2", "t1"), s));  // same team, not theirs
}

TEST(AccessScopeTest, RepWithoutMemberIdNeverMatchesAnUnownedCustomer) {
  EXPECT_FALSE(InOwnerScope(Who(Role::kRep, "", "t1"), OwnershipScope{"", "t1", "r1"}));
}

TEST(AccessScopeTest, SupervisorSeesTheirTeam) {
  const OwnershipScope s{"m1", "t1", "r1"};
  EXPECT_TRUE(InOwnerScope(Who(Role::kSupervisor, "s1", "t1"), s));
  EXPECT_FALSE(InOwnerScope(Who(Role::kSupervisor, "s2", "t2"), s));
  EXPECT_FALSE(InOwnerScope(Who(Role::kSupervisor, "s3", "r1"), s));  // region is not a team
}

TEST(AccessScopeTest, ManagerSeesTheirRegion) {
  const OwnershipScope s{"m1", "t1", "r1"};
  EXPECT_TRUE(InOwnerScope(Who(Role::kManager, "g1", "r1"), s));
  EXPECT_FALSE(InOwnerScope(Who(Role::kManager, "g2", "r2"), s));
  EXPECT_FALSE(InOwnerScope(Who(Role::kManager, "g3", "t1"), s));  // a team is not a region
}

TEST(AccessScopeTest, DirectorAndAdminSeeEverything) {
  for (Role r : {Role::kDirector, Role::kAdmin}) {
    EXPECT_TRUE(InOwnerScope(Who(r, "d1", "hq"), OwnershipScope{"m1", "t1", "r1"}));
    EXPECT_TRUE(InOwnerScope(Who(r, "d1", ""), OwnershipScope{"", "", ""}));
  }
}

TEST(AccessScopeTest, EmptyOrgUnitNeverMatchesAnEmptyTeamOrRegion) {
  const OwnershipScope unplaced{"", "", ""};
  EXPECT_FALSE(InOwnerScope(Who(Role::kSupervisor, "s1", ""), unplaced));
  EXPECT_FALSE(InOwnerScope(Who(Role::kManager, "g1", ""), unplaced));
  EXPECT_FALSE(InOwnerScope(Who(Role::kRep, "", ""), unplaced));
}

TEST(AccessScopeTest, ScopeOfStripsCollectionPrefixes) {
  const OwnershipScope s = ScopeOf(OwnedCustomer());
  EXPECT_EQ(s.owner, "m1");
  EXPECT_EQ(s.team, "t1");
  EXPECT_EQ(s.region, "r1");
  EXPECT_EQ(StripPrefix("members/x"), "x");
  EXPECT_EQ(StripPrefix("x"), "x");
  EXPECT_EQ(StripPrefix(""), "");
}

TEST(AccessScopeTest, OwnerScopeGivesFullAccess) {
  const Viewer rep{Who(Role::kRep, "m1", "t1"), {"t1", "r1"}};
  const Access a = CustomerAccess(rep, OwnedCustomer(), {}, kNow);
  EXPECT_EQ(a, Access::kOwnerScope);
  EXPECT_TRUE(CanRead(a));
  EXPECT_TRUE(CanWrite(a));
  EXPECT_TRUE(CanLogActivity(a));
  EXPECT_FALSE(IsMinimised(a));
}

TEST(AccessScopeTest, OwnerScopeWinsOverAnyGrant) {
  const Viewer sup{Who(Role::kSupervisor, "s1", "t1"), {"t1", "r1"}};
  const Access a = CustomerAccess(
      sup, OwnedCustomer(), {SelectorGrant("orgUnits/t1", v1::SHARING_ACCESS_READ_ONLY)}, kNow);
  EXPECT_EQ(a, Access::kOwnerScope);
}

TEST(AccessScopeTest, OtherRepWithoutGrantHasNoAccess) {
  const Viewer other{Who(Role::kRep, "m2", "t1"), {"t1", "r1"}};
  const Access a = CustomerAccess(other, OwnedCustomer(), {}, kNow);
  EXPECT_EQ(a, Access::kNone);
  EXPECT_FALSE(CanRead(a));
  EXPECT_FALSE(CanWrite(a));
  EXPECT_FALSE(CanLogActivity(a));
}

// ---- Grants -----------------------------------------------------------------------

TEST(AccessGrantTest, PerCustomerGrantCoversOnlyThatCustomer) {
  const v1::SharingGrant g =
      GrantForCustomer("customers/c1", "orgUnits/mk", v1::SHARING_ACCESS_READ_ONLY);
  EXPECT_EQ(GrantAccess(g, OwnedCustomer(), kNow), v1::SHARING_ACCESS_READ_ONLY);
  v1::Customer other = OwnedCustomer();
  other.set_name("customers/c2");
  EXPECT_EQ(GrantAccess(g, other, kNow), v1::SHARING_ACCESS_UNSPECIFIED);
}

TEST(AccessGrantTest, PerCustomerGrantIgnoresItsSelector) {
  v1::SharingGrant g =
      GrantForCustomer("customers/c1", "orgUnits/mk", v1::SHARING_ACCESS_READ_ONLY);
  g.mutable_selector()->add_tiers(v1::CUSTOMER_TIER_S);  // would not match tier A
  EXPECT_EQ(GrantAccess(g, OwnedCustomer(), kNow), v1::SHARING_ACCESS_READ_ONLY);
}

TEST(AccessGrantTest, EmptySelectorCoversEveryCustomer) {
  EXPECT_EQ(GrantAccess(SelectorGrant("orgUnits/mk", v1::SHARING_ACCESS_COLLABORATE),
                        OwnedCustomer(), kNow),
            v1::SHARING_ACCESS_COLLABORATE);
}

TEST(AccessGrantTest, SelectorTierMustMatch) {
  v1::SharingGrant g = SelectorGrant("orgUnits/mk", v1::SHARING_ACCESS_READ_ONLY);
  g.mutable_selector()->add_tiers(v1::CUSTOMER_TIER_S);
  EXPECT_EQ(GrantAccess(g, OwnedCustomer(), kNow), v1::SHARING_ACCESS_UNSPECIFIED);
  g.mutable_selector()->add_tiers(v1::CUSTOMER_TIER_A);
  EXPECT_EQ(GrantAccess(g, OwnedCustomer(), kNow), v1::SHARING_ACCESS_READ_ONLY);
}

TEST(AccessGrantTest, SelectorRegionMustMatch) {
  v1::SharingGrant g = SelectorGrant("orgUnits/mk", v1::SHARING_ACCESS_READ_ONLY);
  g.mutable_selector()->add_regions("orgUnits/r2");
  EXPECT_EQ(GrantAccess(g, OwnedCustomer(), kNow), v1::SHARING_ACCESS_UNSPECIFIED);
  g.mutable_selector()->add_regions("orgUnits/r1");
  EXPECT_EQ(GrantAccess(g, OwnedCustomer(), kNow), v1::SHARING_ACCESS_READ_ONLY);
}

TEST(AccessGrantTest, SelectorIndustryMustMatch) {
  v1::SharingGrant g = SelectorGrant("orgUnits/mk", v1::SHARING_ACCESS_READ_ONLY);
  g.mutable_selector()->add_industries("retail");
  EXPECT_EQ(GrantAccess(g, OwnedCustomer(), kNow), v1::SHARING_ACCESS_UNSPECIFIED);
  g.mutable_selector()->add_industries("manufacturing");
  EXPECT_EQ(GrantAccess(g, OwnedCustomer(), kNow), v1::SHARING_ACCESS_READ_ONLY);
}

TEST(AccessGrantTest, SelectorDimensionsCombineWithAnd) {
  v1::SharingGrant g = SelectorGrant("orgUnits/mk", v1::SHARING_ACCESS_READ_ONLY);
  g.mutable_selector()->add_tiers(v1::CUSTOMER_TIER_A);  // matches
  g.mutable_selector()->add_industries("retail");        // does not
  EXPECT_EQ(GrantAccess(g, OwnedCustomer(), kNow), v1::SHARING_ACCESS_UNSPECIFIED);
}

TEST(AccessGrantTest, RevokedGrantIsIgnored) {
  v1::SharingGrant g = SelectorGrant("orgUnits/mk", v1::SHARING_ACCESS_READ_ONLY);
  *g.mutable_revoke_time() = Ts(kNow + absl::Hours(24));  // any revoke time ends it
  EXPECT_EQ(GrantAccess(g, OwnedCustomer(), kNow), v1::SHARING_ACCESS_UNSPECIFIED);
  EXPECT_EQ(CustomerAccess(Marketing(), OwnedCustomer(), {g}, kNow), Access::kNone);
}

TEST(AccessGrantTest, GrantExpiresExactlyAtExpireTime) {
  v1::SharingGrant g = SelectorGrant("orgUnits/mk", v1::SHARING_ACCESS_READ_ONLY);
  *g.mutable_expire_time() = Ts(kNow + absl::Seconds(1));
  EXPECT_EQ(GrantAccess(g, OwnedCustomer(), kNow), v1::SHARING_ACCESS_READ_ONLY);
  *g.mutable_expire_time() = Ts(kNow);
  EXPECT_EQ(GrantAccess(g, OwnedCustomer(), kNow), v1::SHARING_ACCESS_UNSPECIFIED);
  EXPECT_EQ(CustomerAccess(Marketing(), OwnedCustomer(), {g}, kNow), Access::kNone);
}

TEST(AccessGrantTest, GrantToAnAncestorUnitCoversTheViewer) {
  const Access a =
      CustomerAccess(Marketing(), OwnedCustomer(),
                     {SelectorGrant("orgUnits/mk", v1::SHARING_ACCESS_READ_ONLY)}, kNow);
  EXPECT_EQ(a, Access::kSharedRead);
  EXPECT_TRUE(CanRead(a));
  EXPECT_FALSE(CanWrite(a));
  EXPECT_FALSE(CanLogActivity(a));
  EXPECT_TRUE(IsMinimised(a));
}

TEST(AccessGrantTest, GrantToAnotherUnitDoesNotCoverTheViewer) {
  EXPECT_EQ(
      CustomerAccess(Marketing(), OwnedCustomer(),
                     {SelectorGrant("orgUnits/finance", v1::SHARING_ACCESS_COLLABORATE)}, kNow),
      Access::kNone);
  // A grant to a unit below the viewer does not reach up to the viewer.
  const Viewer dept{Who(Role::kRep, "m8", "mk"), {"mk", "root"}};
  EXPECT_EQ(CustomerAccess(dept, OwnedCustomer(),
                           {SelectorGrant("orgUnits/mk1", v1::SHARING_ACCESS_READ_ONLY)}, kNow),
            Access::kNone);
}

TEST(AccessGrantTest, CollaborateBeatsReadOnlyInEitherOrder) {
  const v1::SharingGrant read = SelectorGrant("orgUnits/mk", v1::SHARING_ACCESS_READ_ONLY);
  const v1::SharingGrant collab = SelectorGrant("orgUnits/mk1", v1::SHARING_ACCESS_COLLABORATE);
  EXPECT_EQ(CustomerAccess(Marketing(), OwnedCustomer(), {read, collab}, kNow),
            Access::kSharedCollaborate);
  EXPECT_EQ(CustomerAccess(Marketing(), OwnedCustomer(), {collab, read}, kNow),
            Access::kSharedCollaborate);
}

TEST(AccessGrantTest, CollaborateMayLogActivitiesButNotWrite) {
  const Access a =
      CustomerAccess(Marketing(), OwnedCustomer(),
                     {SelectorGrant("orgUnits/mk", v1::SHARING_ACCESS_COLLABORATE)}, kNow);
  ASSERT_EQ(a, Access::kSharedCollaborate);
  EXPECT_TRUE(CanRead(a));
  EXPECT_TRUE(CanLogActivity(a));
  EXPECT_FALSE(CanWrite(a));
  EXPECT_TRUE(IsMinimised(a));
}

TEST(AccessGrantTest, RevokedCollaborateLeavesTheActiveReadOnly) {
  v1::SharingGrant collab = SelectorGrant("orgUnits/mk", v1::SHARING_ACCESS_COLLABORATE);
  *collab.mutable_revoke_time() = Ts(kNow - absl::Hours(1));
  const v1::SharingGrant read = SelectorGrant("orgUnits/mk", v1::SHARING_ACCESS_READ_ONLY);
  EXPECT_EQ(CustomerAccess(Marketing(), OwnedCustomer(), {collab, read}, kNow),
            Access::kSharedRead);
}

TEST(AccessGrantTest, GrantWithUnspecifiedAccessGivesNothing) {
  EXPECT_EQ(CustomerAccess(Marketing(), OwnedCustomer(),
                           {SelectorGrant("orgUnits/mk", v1::SHARING_ACCESS_UNSPECIFIED)}, kNow),
            Access::kNone);
}

// ---- Public pool ------------------------------------------------------------------

// A pool customer is readable (to claim it) but its personal data is minimised
// until someone owns it.
TEST(AccessPoolTest, PoolCustomerIsReadableMinimisedNotWritable) {
  const Access a = CustomerAccess(Marketing(), PoolCustomer(), {}, kNow);
  EXPECT_EQ(a, Access::kPoolRead);
  EXPECT_TRUE(CanRead(a));
  EXPECT_FALSE(CanWrite(a));
  EXPECT_FALSE(CanLogActivity(a));
  EXPECT_TRUE(IsMinimised(a));
}

TEST(AccessPoolTest, OwnedCustomerIsNotPoolReadable) {
  EXPECT_EQ(CustomerAccess(Marketing(), OwnedCustomer(), {}, kNow), Access::kNone);
}

TEST(AccessPoolTest, DirectorHasOwnerScopeOnPoolCustomers) {
  const Viewer director{Who(Role::kDirector, "d1", "hq"), {"hq"}};
  EXPECT_EQ(CustomerAccess(director, PoolCustomer(), {}, kNow), Access::kOwnerScope);
}

TEST(AccessPoolTest, NoneIsNeitherReadableNorMinimised) {
  EXPECT_FALSE(CanRead(Access::kNone));
  EXPECT_FALSE(IsMinimised(Access::kNone));
  EXPECT_FALSE(IsMinimised(Access::kOwnerScope));
}

// ---- Personal data -------------------------------------------------------------------

TEST(AccessMinimiseTest, MinimiseClearsPhonesEmailsWechatAndNotesButKeepsNames) {
  v1::Customer c = OwnedCustomer();
  c.set_phone("+86 571 8888 0000");
  c.set_address("杭州市西湖区");
  for (int i = 0; i < 2; ++i) {
    v1::Contact* ct = c.add_contacts();
    ct->set_contact_id(std::to_string(i));
    ct->set_display_name(i == 0 ? "张三" : "李四");
    ct->set_title("采购经理");
    ct->set_phone("138 0000 000" + std::to_string(i));
    ct->set_email("z@example.com");
    ct->set_wechat_id("wx_zhang");
    ct->set_notes("prefers calls after 3pm");
    ct->set_primary(i == 0);
  }
  MinimisePersonalData(c);
  EXPECT_EQ(c.phone(), "");
  EXPECT_EQ(c.display_name(), "杭州某某科技有限公司");
  ASSERT_EQ(c.contacts_size(), 2);
  for (const v1::Contact& ct : c.contacts()) {
    EXPECT_EQ(ct.phone(), "");
    EXPECT_EQ(ct.email(), "");
    EXPECT_EQ(ct.wechat_id(), "");
    EXPECT_EQ(ct.notes(), "");
    EXPECT_EQ(ct.title(), "采购经理");
  }
  EXPECT_EQ(c.contacts(0).display_name(), "张三");
  EXPECT_EQ(c.contacts(1).display_name(), "李四");
  EXPECT_TRUE(c.contacts(0).primary());
  EXPECT_EQ(c.owner(), "members/m1");
}

// ---- Denials -----------------------------------------------------------------------

TEST(AccessDenyTest, DenyReadAndDenyWriteArePermissionDeniedNotInScope) {
  for (const absl::Status& s : {DenyRead("customers/c1"), DenyWrite("customers/c1")}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(ErrorReason(s), "NOT_IN_SCOPE");
    EXPECT_THAT(std::string(s.message()), HasSubstr("customers/c1"));
  }
}

}  // namespace
}  // namespace salesops::customers
