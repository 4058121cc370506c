// OrgApi over both repositories (store/testing/org_repositories.h): which
// event each use case records (with its actor and trace id), what it refuses
// and with which field, and the object-level scope rules — without Redis or
// gRPC.
#include "services/org/api/org_api.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/org/v1/org_events.pb.h"
#include "services/org/api/api_util.h"
#include "services/org/domain/reasons.h"
#include "services/org/store/testing/org_repositories.h"

namespace salesops::org {
namespace {

using ::testing::ElementsAre;

class OrgApiTest : public ::testing::TestWithParam<const char*> {
 protected:
  CallContext As(Role role, std::string member, std::string unit) {
    return CallContext{{std::move(member), role, std::move(unit)}, "trace-1", "test"};
  }

  absl::Status Unit(const CallContext& c, const std::string& id, v1::OrgUnitKind kind,
                    const std::string& parent, const std::string& rid = "") {
    v1::CreateOrgUnitRequest req;
    req.set_org_unit_id(id);
    req.set_request_id(rid);
    req.mutable_org_unit()->set_display_name("单元" + id);
    req.mutable_org_unit()->set_kind(kind);
    if (!parent.empty()) {
      req.mutable_org_unit()->set_parent("orgUnits/" + parent);
    }
    v1::CreateOrgUnitResponse resp;
    return api_.CreateOrgUnit(c, req, &resp);
  }

  absl::Status Member(const CallContext& c, const std::string& id, const std::string& unit,
                      v1::Role role = v1::ROLE_REP) {
    v1::CreateMemberRequest req;
    req.set_member_id(id);
    req.mutable_member()->set_display_name("成员");
    req.mutable_member()->set_email(id + "@example.com");
    req.mutable_member()->set_role(role);
    req.mutable_member()->set_department(v1::DEPARTMENT_SALES);
    req.mutable_member()->set_org_unit("orgUnits/" + unit);
    v1::CreateMemberResponse resp;
    return api_.CreateMember(c, req, &resp);
  }

  void Tree() {
    ASSERT_TRUE(Unit(admin_, "acme", v1::ORG_UNIT_KIND_COMPANY, "").ok());
    ASSERT_TRUE(Unit(admin_, "east", v1::ORG_UNIT_KIND_REGION, "acme").ok());
    ASSERT_TRUE(Unit(admin_, "west", v1::ORG_UNIT_KIND_REGION, "acme").ok());
    ASSERT_TRUE(Unit(admin_, "t-sh", v1::ORG_UNIT_KIND_TEAM, "east").ok());
    ASSERT_TRUE(Unit(admin_, "t-cd", v1::ORG_UNIT_KIND_TEAM, "west").ok());
  }

  std::vector<std::string> EventTypes() {
    std::vector<std::string> out;
    for (const auto& e : store_->events()) {
      out.push_back(e.type);
    }
    return out;
  }

  FakeClock clock_{absl::FromUnixSeconds(1'790'000'000)};
  std::unique_ptr<TestOrgRepository> store_ = MakeTestOrgRepository(GetParam());
  OrgRepository& repo_ = store_->repo();
  OrgApi api_{repo_, clock_};
  CallContext admin_ = As(Role::kAdmin, "admin", "");
};

// GetOrgUnitAsync answers, once, what GetOrgUnit answers: the unit with its
// headcount, NOT_FOUND, or INVALID_ARGUMENT naming the field.
TEST_P(OrgApiTest, GetOrgUnitAsyncAnswersWhatGetOrgUnitAnswers) {
  Tree();
  ASSERT_TRUE(Member(admin_, "mem-1", "t-sh").ok());
  ASSERT_TRUE(Member(admin_, "mem-2", "t-sh").ok());
  for (const char* name : {"orgUnits/t-sh", "orgUnits/east", "orgUnits/nope", "t-sh", ""}) {
    v1::GetOrgUnitRequest req;
    req.set_name(name);
    v1::GetOrgUnitResponse sync_resp;
    absl::Status sync = api_.GetOrgUnit(admin_, req, &sync_resp);
    v1::GetOrgUnitResponse async_resp;
    int answers = 0;
    absl::Status async;
    api_.GetOrgUnitAsync(admin_, req, &async_resp, [&](absl::Status s) {
      ++answers;
      async = s;
    });
    ASSERT_EQ(answers, 1) << name;  // the in-memory repository answers inline
    EXPECT_EQ(async.code(), sync.code()) << name;
    EXPECT_EQ(ErrorReason(async), ErrorReason(sync)) << name;
    EXPECT_EQ(async_resp.SerializeAsString(), sync_resp.SerializeAsString()) << name;
  }
  v1::GetOrgUnitRequest req;
  req.set_name("orgUnits/t-sh");
  v1::GetOrgUnitResponse resp;
  absl::Status s;
  api_.GetOrgUnitAsync(admin_, req, &resp, [&](absl::Status got) { s = got; });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(resp.org_unit().name(), "orgUnits/t-sh");
  req.set_name("t-sh");
  api_.GetOrgUnitAsync(admin_, req, &resp, [&](absl::Status got) { s = got; });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.ToString().find("name"), std::string::npos) << s;
}

// Each command records exactly its event, keyed by the aggregate, with the actor.
TEST_P(OrgApiTest, CommandsRecordTheirEvents) {
  Tree();
  ASSERT_TRUE(Member(admin_, "mem-1", "t-sh").ok());
  v1::MoveMemberRequest move;
  move.set_name("members/mem-1");
  move.set_org_unit("orgUnits/t-cd");
  move.set_reason("支援西区");
  v1::MoveMemberResponse moved;
  ASSERT_TRUE(api_.MoveMember(admin_, move, &moved).ok());
  v1::DeleteMemberRequest del;
  del.set_name("members/mem-1");
  v1::DeleteMemberResponse deleted;
  ASSERT_TRUE(api_.DeleteMember(admin_, del, &deleted).ok());
  EXPECT_THAT(EventTypes(),
              ElementsAre("salesops.org.v1.OrgUnitCreated", "salesops.org.v1.OrgUnitCreated",
                          "salesops.org.v1.OrgUnitCreated", "salesops.org.v1.OrgUnitCreated",
                          "salesops.org.v1.OrgUnitCreated", "salesops.org.v1.MemberJoined",
                          "salesops.org.v1.MemberMoved", "salesops.org.v1.MemberLeft"));
  const std::vector<CloudEvent> events = store_->events();
  const CloudEvent& e = events[6];
  EXPECT_EQ(e.key, "mem-1");
  EXPECT_EQ(e.subject, "members/mem-1");
  EXPECT_EQ(e.trace_id, "trace-1");
  EXPECT_EQ(e.time, clock_.Now());
  v1::MemberMoved m;
  ASSERT_TRUE(m.ParseFromString(e.data));
  EXPECT_EQ(m.from_org_unit(), "orgUnits/t-sh");
  EXPECT_EQ(m.to_org_unit(), "orgUnits/t-cd");
  EXPECT_EQ(m.reason(), "支援西区");
  EXPECT_EQ(m.actor().member_id(), "admin");
  EXPECT_EQ(m.member().etag(), "2");
}

// A unit is placed by its parent's kind as it is now, even when that kind was
// remembered from an earlier create: here the parent is deleted and made again
// under the same id with another kind, both ways.
TEST_P(OrgApiTest, PlacementJudgesTheParentAsItIsNow) {
  auto remove = [&](const std::string& id) {
    v1::DeleteOrgUnitRequest req;
    req.set_name("orgUnits/" + id);
    v1::DeleteOrgUnitResponse resp;
    return api_.DeleteOrgUnit(admin_, req, &resp);
  };
  ASSERT_TRUE(Unit(admin_, "acme", v1::ORG_UNIT_KIND_COMPANY, "").ok());
  ASSERT_TRUE(Unit(admin_, "unit-x", v1::ORG_UNIT_KIND_REGION, "acme").ok());
  ASSERT_TRUE(
      Unit(admin_, "team-1", v1::ORG_UNIT_KIND_TEAM, "unit-x").ok());  // unit-x known as a region
  ASSERT_TRUE(remove("team-1").ok());
  ASSERT_TRUE(remove("unit-x").ok());
  ASSERT_TRUE(Unit(admin_, "unit-x", v1::ORG_UNIT_KIND_PRODUCT_LINE, "acme").ok());
  absl::Status s = Unit(admin_, "team-2", v1::ORG_UNIT_KIND_TEAM, "unit-x");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("product line")) << s;
  // Now known as a product line; made a region again, it takes the team.
  ASSERT_TRUE(remove("unit-x").ok());
  ASSERT_TRUE(Unit(admin_, "unit-x", v1::ORG_UNIT_KIND_REGION, "acme").ok());
  s = Unit(admin_, "team-3", v1::ORG_UNIT_KIND_TEAM, "unit-x");
  EXPECT_TRUE(s.ok()) << s;
  // A parent that is gone is still named.
  ASSERT_TRUE(remove("team-3").ok());
  ASSERT_TRUE(remove("unit-x").ok());
  s = Unit(admin_, "team-4", v1::ORG_UNIT_KIND_TEAM, "unit-x");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(ErrorReason(s), reason::kOrgUnitNotFound);
}

// An update that changes nothing records no event and keeps the etag.
TEST_P(OrgApiTest, NoOpUpdateRecordsNoEvent) {
  Tree();
  const size_t before = store_->events().size();
  v1::UpdateOrgUnitRequest req;
  req.mutable_org_unit()->set_name("orgUnits/east");
  req.mutable_org_unit()->set_display_name("单元east");
  req.mutable_update_mask()->add_paths("display_name");
  v1::UpdateOrgUnitResponse resp;
  ASSERT_TRUE(api_.UpdateOrgUnit(admin_, req, &resp).ok());
  EXPECT_EQ(resp.org_unit().etag(), "1");
  EXPECT_EQ(store_->events().size(), before);
}

// Re-parenting records the previous parent and the changed field.
TEST_P(OrgApiTest, ReparentRecordsPrevious) {
  Tree();
  v1::UpdateOrgUnitRequest req;
  req.mutable_org_unit()->set_name("orgUnits/t-sh");
  req.mutable_org_unit()->set_parent("orgUnits/west");
  req.mutable_update_mask()->add_paths("parent");
  req.set_reason("区域调整");
  v1::UpdateOrgUnitResponse resp;
  ASSERT_TRUE(api_.UpdateOrgUnit(admin_, req, &resp).ok());
  v1::OrgUnitUpdated e;
  ASSERT_TRUE(e.ParseFromString(store_->events().back().data));
  EXPECT_EQ(e.previous().parent(), "orgUnits/east");
  EXPECT_EQ(e.org_unit().parent(), "orgUnits/west");
  EXPECT_THAT(e.changed_fields(), ElementsAre("parent"));
}

// The same request_id twice creates one unit and one event.
TEST_P(OrgApiTest, RequestIdReplay) {
  ASSERT_TRUE(Unit(admin_, "acme", v1::ORG_UNIT_KIND_COMPANY, "").ok());
  ASSERT_TRUE(Unit(admin_, "", v1::ORG_UNIT_KIND_REGION, "acme", "r-1").ok());
  ASSERT_TRUE(Unit(admin_, "", v1::ORG_UNIT_KIND_REGION, "acme", "r-1").ok());
  EXPECT_EQ(store_->events().size(), 2u);
  // The same request_id used for a member is refused, not silently mixed up.
  v1::CreateMemberRequest m;
  m.set_request_id("r-1");
  m.mutable_member()->set_display_name("x");
  m.mutable_member()->set_email("x@example.com");
  m.mutable_member()->set_role(v1::ROLE_DIRECTOR);
  m.mutable_member()->set_department(v1::DEPARTMENT_SALES);
  m.mutable_member()->set_org_unit("orgUnits/acme");
  v1::CreateMemberResponse resp;
  EXPECT_EQ(api_.CreateMember(admin_, m, &resp).code(), absl::StatusCode::kAlreadyExists);
}

// Every violation of a create is reported at once, each with its field.
TEST_P(OrgApiTest, AllViolationsNamed) {
  v1::CreateMemberRequest req;
  req.set_member_id("!");
  req.mutable_member()->set_email("not-an-email");
  req.mutable_member()->set_phone("12a");
  req.mutable_member()->set_role(static_cast<v1::Role>(42));
  v1::CreateMemberResponse resp;
  absl::Status s = api_.CreateMember(admin_, req, &resp);
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& v : FieldViolations(s)) {
    fields.push_back(v.field);
  }
  EXPECT_THAT(fields, ::testing::IsSupersetOf({"member.display_name", "member.email",
                                               "member.phone", "member.role", "member.department",
                                               "member.org_unit", "member_id"}));
}

// Managers act only inside their region; nobody but an admin grants a higher role.
TEST_P(OrgApiTest, ScopeAndRoleCeiling) {
  Tree();
  CallContext mgr = As(Role::kManager, "mgr", "east");
  EXPECT_TRUE(Member(mgr, "mem-a", "t-sh").ok());
  EXPECT_EQ(Member(mgr, "mem-b", "t-cd").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Member(mgr, "mem-c", "east", v1::ROLE_DIRECTOR).code(),
            absl::StatusCode::kPermissionDenied);
  // Nor a peer: managers are created by directors and admins.
  EXPECT_EQ(Member(mgr, "mem-d", "east", v1::ROLE_MANAGER).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Member(mgr, "mem-e", "t-sh", v1::ROLE_SUPERVISOR).ok());
  // Moving someone out of the manager's region is refused too.
  v1::MoveMemberRequest move;
  move.set_name("members/mem-a");
  move.set_org_unit("orgUnits/t-cd");
  v1::MoveMemberResponse moved;
  EXPECT_EQ(api_.MoveMember(mgr, move, &moved).code(), absl::StatusCode::kPermissionDenied);
}

// A manager cannot change, move or remove a member who outranks them, even
// inside the manager's region.
TEST_P(OrgApiTest, ManagerCannotTouchHigherRoles) {
  Tree();
  ASSERT_TRUE(Member(admin_, "dir-east", "east", v1::ROLE_DIRECTOR).ok());
  CallContext mgr = As(Role::kManager, "mgr", "east");
  v1::UpdateMemberRequest up;
  up.mutable_member()->set_name("members/dir-east");
  up.mutable_member()->set_role(v1::ROLE_MANAGER);
  up.mutable_update_mask()->add_paths("role");
  v1::UpdateMemberResponse up_resp;
  EXPECT_EQ(api_.UpdateMember(mgr, up, &up_resp).code(), absl::StatusCode::kPermissionDenied);
  up.mutable_member()->set_email("mine@example.com");
  up.mutable_update_mask()->Clear();
  up.mutable_update_mask()->add_paths("email");
  EXPECT_EQ(api_.UpdateMember(mgr, up, &up_resp).code(), absl::StatusCode::kPermissionDenied);
  v1::DeleteMemberRequest del;
  del.set_name("members/dir-east");
  v1::DeleteMemberResponse del_resp;
  EXPECT_EQ(api_.DeleteMember(mgr, del, &del_resp).code(), absl::StatusCode::kPermissionDenied);
  v1::MoveMemberRequest move;
  move.set_name("members/dir-east");
  move.set_org_unit("orgUnits/acme");
  v1::MoveMemberResponse move_resp;
  EXPECT_EQ(api_.MoveMember(mgr, move, &move_resp).code(), absl::StatusCode::kPermissionDenied);
  // The director is unchanged; the admin still can.
  EXPECT_TRUE(api_.DeleteMember(admin_, del, &del_resp).ok());
}

// request_id is per caller: someone else's id creates a new resource instead
// of replaying theirs.
TEST_P(OrgApiTest, RequestIdIsPerCaller) {
  Tree();
  CallContext mgr_east = As(Role::kManager, "mgr-e", "east");
  CallContext mgr_west = As(Role::kManager, "mgr-w", "west");
  auto create = [&](const CallContext& c, const std::string& unit, const std::string& email,
                    v1::Member* out) {
    v1::CreateMemberRequest req;
    req.set_request_id("same-id");
    req.mutable_member()->set_display_name("x");
    req.mutable_member()->set_email(email);
    req.mutable_member()->set_role(v1::ROLE_REP);
    req.mutable_member()->set_department(v1::DEPARTMENT_SALES);
    req.mutable_member()->set_org_unit("orgUnits/" + unit);
    v1::CreateMemberResponse resp;
    absl::Status s = api_.CreateMember(c, req, &resp);
    *out = resp.member();
    return s;
  };
  v1::Member east, west, again;
  ASSERT_TRUE(create(mgr_east, "t-sh", "e@example.com", &east).ok());
  ASSERT_TRUE(create(mgr_west, "t-cd", "w@example.com", &west).ok());
  EXPECT_NE(east.name(), west.name());
  EXPECT_EQ(west.org_unit(), "orgUnits/t-cd");
  ASSERT_TRUE(create(mgr_east, "t-sh", "e@example.com", &again).ok());
  EXPECT_EQ(again.name(), east.name());  // the same caller's retry replays
}

// A rep's member list holds only the rep; a supervisor's only the team.
TEST_P(OrgApiTest, ListsAreScoped) {
  Tree();
  ASSERT_TRUE(Member(admin_, "rep-1", "t-sh").ok());
  ASSERT_TRUE(Member(admin_, "rep-2", "t-sh").ok());
  ASSERT_TRUE(Member(admin_, "rep-3", "t-cd").ok());
  auto list = [&](const CallContext& c) {
    v1::ListMembersRequest req;
    v1::ListMembersResponse resp;
    EXPECT_TRUE(api_.ListMembers(c, req, &resp).ok());
    std::vector<std::string> names;
    for (const auto& m : resp.members()) {
      names.push_back(m.name());
    }
    return names;
  };
  EXPECT_THAT(list(As(Role::kRep, "rep-1", "t-sh")), ElementsAre("members/rep-1"));
  EXPECT_THAT(list(As(Role::kSupervisor, "s", "t-sh")),
              ElementsAre("members/rep-1", "members/rep-2"));
  EXPECT_THAT(list(As(Role::kDirector, "d", "acme")),
              ElementsAre("members/rep-1", "members/rep-2", "members/rep-3"));
}

// A page token only works with the filters it was made for.
TEST_P(OrgApiTest, PageTokenBoundToFilter) {
  Tree();
  v1::ListOrgUnitsRequest req;
  req.set_page_size(1);
  v1::ListOrgUnitsResponse resp;
  ASSERT_TRUE(api_.ListOrgUnits(admin_, req, &resp).ok());
  ASSERT_FALSE(resp.next_page_token().empty());
  req.set_page_token(resp.next_page_token());
  req.set_kind(v1::ORG_UNIT_KIND_TEAM);
  absl::Status s = api_.ListOrgUnits(admin_, req, &resp);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolations(s)[0].field, "page_token");
}

// Security review, finding 5: a list filter matching little does not read
// the whole org in one call — the page ends at the scan budget with a token,
// and following the tokens reaches every match.
TEST_P(OrgApiTest, FilteredListsStopAtTheirScanBudget) {
  Tree();
  for (int i = 0; i < kMaxScanPerCall + 150; ++i) {
    ASSERT_TRUE(Member(admin_, absl::StrCat("m-", 10000 + i), "t-sh").ok());
  }
  ASSERT_TRUE(Member(admin_, "zz-the-one", "t-cd").ok());
  v1::ListMembersRequest req;
  req.set_org_unit("orgUnits/t-cd");
  req.set_page_size(10);
  v1::ListMembersResponse page;
  ASSERT_TRUE(api_.ListMembers(admin_, req, &page).ok());
  EXPECT_EQ(page.members_size(), 0);
  EXPECT_FALSE(page.next_page_token().empty()) << "one call scanned past the budget";
  std::vector<std::string> found;
  for (int calls = 0; calls < 10; ++calls) {
    for (const auto& m : page.members()) {
      found.push_back(m.name());
    }
    if (page.next_page_token().empty()) {
      break;
    }
    req.set_page_token(page.next_page_token());
    page.Clear();
    ASSERT_TRUE(api_.ListMembers(admin_, req, &page).ok());
  }
  EXPECT_THAT(found, ElementsAre("members/zz-the-one"));

  v1::ListOrgUnitsRequest units;
  units.set_kind(v1::ORG_UNIT_KIND_PRODUCT_LINE);  // none: the scan of 5 units ends at once
  v1::ListOrgUnitsResponse none;
  ASSERT_TRUE(api_.ListOrgUnits(admin_, units, &none).ok());
  EXPECT_EQ(none.org_units_size(), 0);
  EXPECT_TRUE(none.next_page_token().empty());
}

// Security review, finding 8: a manager may not create, promote or remove a peer.
TEST_P(OrgApiTest, ManagersCannotManagePeers) {
  Tree();
  ASSERT_TRUE(Member(admin_, "mgr-a", "east", v1::ROLE_MANAGER).ok());
  const CallContext mgr = As(Role::kManager, "mgr-b", "east");
  absl::Status s = Member(mgr, "mgr-c", "east", v1::ROLE_MANAGER);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorReason(s), "ROLE_NOT_BELOW_OWN");
  v1::DeleteMemberRequest del;
  del.set_name("members/mgr-a");
  v1::DeleteMemberResponse deleted;
  EXPECT_EQ(api_.DeleteMember(mgr, del, &deleted).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Member(mgr, "sup-x", "t-sh", v1::ROLE_SUPERVISOR).ok());
}

INSTANTIATE_TEST_SUITE_P(Repositories, OrgApiTest, ::testing::ValuesIn(kOrgRepositoryKinds));

}  // namespace
}  // namespace salesops::org
