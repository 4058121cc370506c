// Exhaustive tests of the org tree rules: every (child, parent) kind pair,
// every role x kind placement, and who may see, manage and promote whom. The
// expected tables are written out by hand from the API contract
// (org_resources.proto, org_service.proto) rather than derived from the code.
#include "services/org/domain/org_rules.h"

#include <string>
#include <vector>

#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops::org {
namespace {

using ::testing::HasSubstr;

constexpr UnitKind kKinds[] = {UnitKind::kCompany, UnitKind::kRegion, UnitKind::kTeam,
                               UnitKind::kProductLine, UnitKind::kDepartment};
constexpr Role kRoles[] = {Role::kRep, Role::kSupervisor, Role::kManager, Role::kDirector,
                           Role::kAdmin};

// Index of a kind / role in the tables below.
int K(UnitKind k) { return static_cast<int>(k) - 1; }
int R(Role r) { return static_cast<int>(r) - 1; }

std::string Name(UnitKind k) { return std::string(UnitKindName(k)); }
std::string Name(Role r) { return std::string(RoleName(r)); }

OrgUnit Unit(std::string id, UnitKind kind) {
  OrgUnit u;
  u.id = std::move(id);
  u.kind = kind;
  return u;
}

// Expects INVALID_ARGUMENT with exactly one violation on `field`; returns its description.
std::string ExpectFieldError(const absl::Status& s, const std::string& field) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  std::vector<FieldViolation> v = FieldViolations(s);
  EXPECT_EQ(v.size(), 1u) << s;
  if (v.size() != 1) {
    return "";
  }
  EXPECT_EQ(v[0].field, field);
  return v[0].description;
}

// Rows: child kind; columns: parent kind; order Company, Region, Team, ProductLine, Department.
// COMPANY is a root; REGION under COMPANY or REGION; TEAM under REGION, COMPANY or DEPARTMENT;
// PRODUCT_LINE under COMPANY; DEPARTMENT under COMPANY or DEPARTMENT.
constexpr bool kMayHaveParent[5][5] = {
    /* company      */ {false, false, false, false, false},
    /* region       */ {true, true, false, false, false},
    /* team         */ {true, true, false, false, true},
    /* product line */ {true, false, false, false, false},
    /* department   */ {true, false, false, false, true},
};

// MayHaveParent matches the contract for all 25 (child, parent) pairs.
TEST(OrgRulesTest, MayHaveParentTable) {
  for (UnitKind child : kKinds) {
    for (UnitKind parent : kKinds) {
      EXPECT_EQ(MayHaveParent(child, parent), kMayHaveParent[K(child)][K(parent)])
          << Name(child) << " under " << Name(parent);
    }
  }
}

// Only a company may be a root.
TEST(OrgRulesTest, MayBeRoot) {
  EXPECT_TRUE(MayBeRoot(UnitKind::kCompany));
  EXPECT_FALSE(MayBeRoot(UnitKind::kRegion));
  EXPECT_FALSE(MayBeRoot(UnitKind::kTeam));
  EXPECT_FALSE(MayBeRoot(UnitKind::kProductLine));
  EXPECT_FALSE(MayBeRoot(UnitKind::kDepartment));
}

// CheckParent agrees with the table for every pair, and errors name the given field and both kinds.
TEST(OrgRulesTest, CheckParentEveryPair) {
  for (UnitKind child : kKinds) {
    for (UnitKind parent_kind : kKinds) {
      SCOPED_TRACE(Name(child) + " under " + Name(parent_kind));
      OrgUnit unit = Unit("u-1", child);
      OrgUnit parent = Unit("p-1", parent_kind);
      absl::Status s = CheckParent(unit, &parent, "org_unit.parent");
      if (kMayHaveParent[K(child)][K(parent_kind)]) {
        EXPECT_TRUE(s.ok()) << s;
      } else {
        EXPECT_EQ(ExpectFieldError(s, "org_unit.parent"),
                  "a " + Name(child) + " cannot be placed under a " + Name(parent_kind));
      }
    }
  }
}

// Without a parent only a company passes; other kinds are told they need a parent.
TEST(OrgRulesTest, CheckParentRoot) {
  for (UnitKind kind : kKinds) {
    SCOPED_TRACE(Name(kind));
    absl::Status s = CheckParent(Unit("u-1", kind), nullptr, "update.org_unit.parent");
    if (kind == UnitKind::kCompany) {
      EXPECT_TRUE(s.ok()) << s;
    } else {
      EXPECT_EQ(ExpectFieldError(s, "update.org_unit.parent"),
                "a " + Name(kind) + " needs a parent");
    }
  }
}

// Kinds are named in messages as lower-case words ("product line", not an enum name).
TEST(OrgRulesTest, KindNames) {
  EXPECT_EQ(UnitKindName(UnitKind::kCompany), "company");
  EXPECT_EQ(UnitKindName(UnitKind::kRegion), "region");
  EXPECT_EQ(UnitKindName(UnitKind::kTeam), "team");
  EXPECT_EQ(UnitKindName(UnitKind::kProductLine), "product line");
  EXPECT_EQ(UnitKindName(UnitKind::kDepartment), "department");
}

// Re-parenting a unit under itself is a cycle.
TEST(OrgRulesTest, CheckNoCycleSelf) {
  absl::Status s = CheckNoCycle("region-east", {"region-east", "acme"}, "org_unit.parent");
  EXPECT_THAT(ExpectFieldError(s, "org_unit.parent"), HasSubstr("cycle"));
  EXPECT_EQ(ErrorReason(s), "ORG_TREE_CYCLE");
}

// Re-parenting a unit under one of its descendants (at any depth) is a cycle.
TEST(OrgRulesTest, CheckNoCycleDescendant) {
  absl::Status child = CheckNoCycle("region-east", {"team-1", "region-east", "acme"}, "p");
  EXPECT_THAT(ExpectFieldError(child, "p"), HasSubstr("cycle"));
  EXPECT_EQ(ErrorReason(child), "ORG_TREE_CYCLE");
  absl::Status deep =
      CheckNoCycle("acme", {"squad-9", "team-1", "region-east", "acme"}, "org_unit.parent");
  EXPECT_EQ(ErrorReason(deep), "ORG_TREE_CYCLE");
}

// Re-parenting under an unrelated unit (or a root with no ancestry) is fine.
TEST(OrgRulesTest, CheckNoCycleUnrelated) {
  EXPECT_TRUE(CheckNoCycle("team-1", {"region-west", "acme"}, "org_unit.parent").ok());
  EXPECT_TRUE(CheckNoCycle("team-1", {"acme"}, "org_unit.parent").ok());
  EXPECT_TRUE(CheckNoCycle("team-1", {}, "org_unit.parent").ok());
  // Ids are compared whole, not by prefix.
  EXPECT_TRUE(CheckNoCycle("team-1", {"team-10", "region-east", "acme"}, "org_unit.parent").ok());
}

// Rows: role (rep, supervisor, manager, director, admin); columns: kind as above.
// Reps and supervisors: team or department; managers: region, team or department;
// directors: company, region or department; admins: anywhere but a product line.
constexpr bool kMayPlace[5][5] = {
    /* rep        */ {false, false, true, false, true},
    /* supervisor */ {false, false, true, false, true},
    /* manager    */ {false, true, true, false, true},
    /* director   */ {true, true, false, false, true},
    /* admin      */ {true, true, true, false, true},
};

// MayPlaceMember and CheckMemberPlacement match the contract for all 25 role x kind pairs.
TEST(OrgRulesTest, MayPlaceMemberTable) {
  for (Role role : kRoles) {
    for (UnitKind kind : kKinds) {
      SCOPED_TRACE(Name(role) + " in " + Name(kind));
      EXPECT_EQ(MayPlaceMember(role, kind), kMayPlace[R(role)][K(kind)]);
      absl::Status s = CheckMemberPlacement(role, Unit("u-1", kind), "member.org_unit");
      if (kMayPlace[R(role)][K(kind)]) {
        EXPECT_TRUE(s.ok()) << s;
      } else {
        EXPECT_EQ(ExpectFieldError(s, "member.org_unit"),
                  "a member with role " + Name(role) + " cannot belong to a " + Name(kind));
        EXPECT_EQ(ErrorReason(s), "MEMBER_PLACEMENT_NOT_ALLOWED");
      }
    }
  }
}

// The tree used below:  acme -> region-east -> team-1,  acme -> region-west -> team-2.
const std::vector<std::string> kTeam1 = {"team-1", "region-east", "acme"};
const std::vector<std::string> kTeam2 = {"team-2", "region-west", "acme"};
const std::vector<std::string> kRegionEast = {"region-east", "acme"};

// A scope contains the unit itself and everything below it, but nothing beside or above.
TEST(OrgRulesTest, IsWithin) {
  EXPECT_TRUE(IsWithin(kTeam1, "team-1"));
  EXPECT_TRUE(IsWithin(kTeam1, "region-east"));
  EXPECT_TRUE(IsWithin(kTeam1, "acme"));
  EXPECT_FALSE(IsWithin(kTeam1, "region-west"));
  EXPECT_FALSE(IsWithin(kTeam1, "team-2"));
  EXPECT_FALSE(IsWithin(kRegionEast, "team-1"));  // a unit is not within its child
  EXPECT_FALSE(IsWithin({}, "acme"));
  // An empty scope (a token without org_unit) is within nothing, even a malformed ancestry.
  EXPECT_FALSE(IsWithin(kTeam1, ""));
  EXPECT_FALSE(IsWithin({"", "acme"}, ""));
}

Principal Who(Role role, std::string org_unit, std::string id = "caller") {
  return Principal{std::move(id), role, std::move(org_unit)};
}

Member MemberIn(std::string id, std::string unit) {
  Member m;
  m.id = std::move(id);
  m.org_unit_id = std::move(unit);
  return m;
}

// Everyone may see their own member record, even from outside their scope.
TEST(OrgRulesTest, CanSeeSelf) {
  for (Role role : kRoles) {
    SCOPED_TRACE(Name(role));
    EXPECT_TRUE(
        CanSeeMember(Who(role, "region-east", "m-self"), MemberIn("m-self", "team-2"), kTeam2));
  }
}

// Expected visibility of another member, per caller role placed at region-east:
// reps see no one else; supervisors and managers their subtree; directors and admins everyone.
TEST(OrgRulesTest, CanSeeOthersByRole) {
  struct Row {
    Role role;
    bool same_subtree;
    bool other_subtree;
  };
  const Row rows[] = {
      {Role::kRep, false, false},    {Role::kSupervisor, true, false},
      {Role::kManager, true, false}, {Role::kDirector, true, true},
      {Role::kAdmin, true, true},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(Name(row.role));
    Principal who = Who(row.role, "region-east");
    EXPECT_EQ(CanSeeMember(who, MemberIn("m-1", "team-1"), kTeam1), row.same_subtree);
    EXPECT_EQ(CanSeeMember(who, MemberIn("m-0", "region-east"), kRegionEast), row.same_subtree);
    EXPECT_EQ(CanSeeMember(who, MemberIn("m-2", "team-2"), kTeam2), row.other_subtree);
  }
}

// A supervisor of team-1 does not see members placed above the team.
TEST(OrgRulesTest, SupervisorDoesNotSeeUpwards) {
  Principal sup = Who(Role::kSupervisor, "team-1");
  EXPECT_TRUE(CanSeeMember(sup, MemberIn("m-1", "team-1"), kTeam1));
  EXPECT_FALSE(CanSeeMember(sup, MemberIn("m-0", "region-east"), kRegionEast));
}

// A scoped role with no org unit in its token sees only itself.
TEST(OrgRulesTest, ScopedRoleWithoutUnitSeesOnlySelf) {
  for (Role role : {Role::kSupervisor, Role::kManager}) {
    SCOPED_TRACE(Name(role));
    Principal who = Who(role, "", "m-self");
    EXPECT_FALSE(CanSeeMember(who, MemberIn("m-1", "team-1"), kTeam1));
    EXPECT_TRUE(CanSeeMember(who, MemberIn("m-self", "team-1"), kTeam1));
  }
}

// Admins and directors manage members anywhere, managers only within their subtree, others never.
TEST(OrgRulesTest, CanManageMembersIn) {
  struct Row {
    Role role;
    bool own_subtree;
    bool other_subtree;
  };
  const Row rows[] = {
      {Role::kRep, false, false},    {Role::kSupervisor, false, false},
      {Role::kManager, true, false}, {Role::kDirector, true, true},
      {Role::kAdmin, true, true},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(Name(row.role));
    Principal who = Who(row.role, "region-east");
    EXPECT_EQ(CanManageMembersIn(who, kTeam1), row.own_subtree);
    EXPECT_EQ(CanManageMembersIn(who, kRegionEast), row.own_subtree);
    EXPECT_EQ(CanManageMembersIn(who, kTeam2), row.other_subtree);
  }
  // A manager never manages above their unit, and a unit-less manager manages nothing.
  EXPECT_FALSE(CanManageMembersIn(Who(Role::kManager, "team-1"), kRegionEast));
  EXPECT_FALSE(CanManageMembersIn(Who(Role::kManager, ""), kTeam1));
  // Even a supervisor inside their own unit cannot manage members.
  EXPECT_FALSE(CanManageMembersIn(Who(Role::kSupervisor, "team-1"), kTeam1));
}

// Rows: caller's role; columns: role being assigned. Nobody but an admin assigns
// their own rank or above (no peers).
constexpr bool kCanAssign[5][5] = {
    /* rep        */ {false, false, false, false, false},
    /* supervisor */ {true, false, false, false, false},
    /* manager    */ {true, true, false, false, false},
    /* director   */ {true, true, true, false, false},
    /* admin      */ {true, true, true, true, true},
};

// CanAssignRole matches the table for all 25 (caller, assigned) role pairs.
TEST(OrgRulesTest, CanAssignRoleTable) {
  for (Role caller : kRoles) {
    for (Role assigned : kRoles) {
      EXPECT_EQ(CanAssignRole(Who(caller, "region-east"), assigned),
                kCanAssign[R(caller)][R(assigned)])
          << Name(caller) << " assigning " << Name(assigned);
    }
  }
}

}  // namespace
}  // namespace salesops::org
