// OrgApi's reorganisation, positions/duties, efficiency and talent use cases
// over both repositories (store/testing/org_repositories.h) with a FakeClock:
// the events each command records, the as-of answers after days pass, the
// refusals and the fields they name, and who may see talent data.
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/org/v1/org_events.pb.h"
#include "services/org/api/org_api.h"
#include "services/org/store/testing/org_repositories.h"

namespace salesops::org {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

salesops::common::v1::Date Day(int y, int m, int d) {
  salesops::common::v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

std::string Field(const absl::Status& s) {
  auto v = FieldViolations(s);
  return v.empty() ? "" : v[0].field;
}

class ReorgApiTest : public ::testing::TestWithParam<const char*> {
 protected:
  CallContext As(Role role, std::string member, std::string unit) {
    return CallContext{{std::move(member), role, std::move(unit)}, "trace-1", "test"};
  }
  void Unit(const std::string& id, v1::OrgUnitKind kind, const std::string& parent) {
    v1::CreateOrgUnitRequest req;
    req.set_org_unit_id(id);
    req.mutable_org_unit()->set_display_name("单元" + id);
    req.mutable_org_unit()->set_kind(kind);
    if (!parent.empty()) {
      req.mutable_org_unit()->set_parent("orgUnits/" + parent);
    }
    v1::CreateOrgUnitResponse resp;
    ASSERT_TRUE(api_.CreateOrgUnit(admin_, req, &resp).ok());
  }
  void Person(const std::string& id, const std::string& unit, v1::Role role = v1::ROLE_REP) {
    v1::CreateMemberRequest req;
    req.set_member_id(id);
    req.mutable_member()->set_display_name("成员");
    req.mutable_member()->set_email(id + "@example.com");
    req.mutable_member()->set_role(role);
    req.mutable_member()->set_department(v1::DEPARTMENT_SALES);
    req.mutable_member()->set_org_unit("orgUnits/" + unit);
    v1::CreateMemberResponse resp;
    ASSERT_TRUE(api_.CreateMember(admin_, req, &resp).ok());
  }
  void Tree() {
    Unit("acme", v1::ORG_UNIT_KIND_COMPANY, "");
    Unit("east", v1::ORG_UNIT_KIND_REGION, "acme");
    Unit("west", v1::ORG_UNIT_KIND_REGION, "acme");
    Unit("t-a", v1::ORG_UNIT_KIND_TEAM, "east");
    Unit("t-b", v1::ORG_UNIT_KIND_TEAM, "east");
    Unit("t-w", v1::ORG_UNIT_KIND_TEAM, "west");
    Person("sup-a", "t-a", v1::ROLE_SUPERVISOR);
    Person("rep-1", "t-a");
    Person("rep-2", "t-a");
    Person("rep-3", "t-b");
  }
  std::string TeamOn(const std::string& member, salesops::common::v1::Date d) {
    v1::GetMemberHistoryRequest req;
    req.set_member("members/" + member);
    *req.mutable_as_of_date() = d;
    v1::GetMemberHistoryResponse resp;
    absl::Status s = api_.GetMemberHistory(admin_, req, &resp);
    if (!s.ok()) {
      return std::string(s.message());
    }
    return resp.periods(0).org_unit();
  }
  std::vector<std::string> EventTypesSince(size_t from) {
    std::vector<std::string> out;
    auto events = store_->events();
    for (size_t i = from; i < events.size(); ++i) {
      out.push_back(events[i].type);
    }
    return out;
  }
  void AdvanceDays(int days) { clock_.Advance(absl::Hours(24 * days)); }

  // 2026-01-05 09:00 in Shanghai.
  FakeClock clock_{absl::FromCivil(absl::CivilSecond(2026, 1, 5, 1, 0, 0), absl::UTCTimeZone())};
  std::unique_ptr<TestOrgRepository> store_ = MakeTestOrgRepository(GetParam());
  OrgRepository& repo_ = store_->repo();
  OrgApi api_{repo_, clock_};
  CallContext admin_ = As(Role::kAdmin, "admin", "");
};

// A merge moves every member, removes the source, records the log entry and
// emits MemberMoved per member, OrgUnitDeleted and TeamsMerged; afterwards
// "which team was X in on D" answers both before and after.
TEST_P(ReorgApiTest, MergeMovesEveryoneAndKeepsHistory) {
  Tree();
  AdvanceDays(30);  // 2026-02-04
  const size_t before = store_->events().size();
  v1::MergeTeamsRequest req;
  req.set_source("orgUnits/t-a");
  req.set_target("orgUnits/t-b");
  req.set_reason("区域重叠");
  v1::MergeTeamsResponse resp;
  ASSERT_TRUE(api_.MergeTeams(admin_, req, &resp).ok());
  EXPECT_EQ(resp.reorganisation().kind(), v1::REORGANISATION_KIND_MERGE);
  EXPECT_EQ(resp.reorganisation().moves_size(), 3);
  EXPECT_EQ(resp.target().etag(), "2");
  EXPECT_THAT(EventTypesSince(before),
              ElementsAre("salesops.org.v1.MemberMoved", "salesops.org.v1.MemberMoved",
                          "salesops.org.v1.MemberMoved", "salesops.org.v1.OrgUnitDeleted",
                          "salesops.org.v1.TeamsMerged"));
  v1::TeamsMerged merged;
  ASSERT_TRUE(merged.ParseFromString(store_->events().back().data));
  EXPECT_EQ(merged.source().name(), "orgUnits/t-a");
  EXPECT_EQ(merged.target().name(), "orgUnits/t-b");
  EXPECT_EQ(merged.reorganisation().actor().member_id(), "admin");

  EXPECT_EQ(TeamOn("rep-1", Day(2026, 1, 20)), "orgUnits/t-a");
  EXPECT_EQ(TeamOn("rep-1", Day(2026, 2, 4)), "orgUnits/t-b");
  EXPECT_THAT(TeamOn("rep-1", Day(2025, 12, 31)), HasSubstr("was not a member"));

  // The log lists it under both units, and only inside the date range.
  v1::ListReorganisationsRequest list;
  list.set_org_unit("orgUnits/t-a");
  v1::ListReorganisationsResponse listed;
  ASSERT_TRUE(api_.ListReorganisations(admin_, list, &listed).ok());
  ASSERT_EQ(listed.reorganisations_size(), 1);
  EXPECT_EQ(listed.reorganisations(0).effective_date().month(), 2);
  *list.mutable_start_date() = Day(2026, 3, 1);
  listed.Clear();
  ASSERT_TRUE(api_.ListReorganisations(admin_, list, &listed).ok());
  EXPECT_EQ(listed.reorganisations_size(), 0);
  // End before start names the field.
  *list.mutable_end_date() = Day(2026, 2, 1);
  EXPECT_EQ(Field(api_.ListReorganisations(admin_, list, &listed)), "end_date");
}

// Merging into itself or into a region is refused, naming the rule.
TEST_P(ReorgApiTest, MergeRefusals) {
  Tree();
  v1::MergeTeamsRequest req;
  req.set_source("orgUnits/t-a");
  req.set_target("orgUnits/t-a");
  req.set_reason("x");
  v1::MergeTeamsResponse resp;
  absl::Status self = api_.MergeTeams(admin_, req, &resp);
  EXPECT_EQ(ErrorReason(self), "MERGE_INTO_SELF");
  EXPECT_EQ(Field(self), "target");
  req.set_target("orgUnits/east");
  EXPECT_EQ(ErrorReason(api_.MergeTeams(admin_, req, &resp)), "NOT_A_TEAM");
  req.set_target("orgUnits/t-b");
  req.set_source_etag("99");
  EXPECT_EQ(api_.MergeTeams(admin_, req, &resp).code(), absl::StatusCode::kAborted);
}

// A split creates the new teams and moves the chosen members; the rest stay.
TEST_P(ReorgApiTest, SplitCreatesTeams) {
  Tree();
  const size_t before = store_->events().size();
  v1::SplitTeamRequest req;
  req.set_team("orgUnits/t-a");
  req.set_reason("拆分大客户组");
  auto* nt = req.add_new_teams();
  nt->set_org_unit_id("t-ka");
  nt->set_display_name("大客户组");
  nt->add_members("members/rep-1");
  v1::SplitTeamResponse resp;
  ASSERT_TRUE(api_.SplitTeam(admin_, req, &resp).ok());
  EXPECT_EQ(resp.new_teams(0).parent(), "orgUnits/east");
  EXPECT_THAT(EventTypesSince(before),
              ElementsAre("salesops.org.v1.OrgUnitCreated", "salesops.org.v1.MemberMoved",
                          "salesops.org.v1.TeamSplit"));
  EXPECT_EQ(TeamOn("rep-1", Day(2026, 1, 5)), "orgUnits/t-ka");
  EXPECT_EQ(TeamOn("rep-2", Day(2026, 1, 5)), "orgUnits/t-a");
  // A member of another team is named.
  req.mutable_new_teams(0)->set_org_unit_id("t-x");
  req.mutable_new_teams(0)->set_members(0, "members/rep-3");
  EXPECT_EQ(Field(api_.SplitTeam(admin_, req, &resp)), "new_teams[0].members[0]");
}

// Dissolving needs an empty team or the moves of all its members, to teams.
TEST_P(ReorgApiTest, DissolveRules) {
  Tree();
  v1::DissolveTeamRequest req;
  req.set_team("orgUnits/t-b");
  req.set_reason("撤销");
  v1::DissolveTeamResponse resp;
  absl::Status s = api_.DissolveTeam(admin_, req, &resp);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(s), "ORG_UNIT_HAS_MEMBERS");
  auto* mv = req.add_moves();
  mv->set_member("members/rep-3");
  mv->set_to_org_unit("orgUnits/west");
  EXPECT_EQ(Field(api_.DissolveTeam(admin_, req, &resp)), "moves[0].to_org_unit");
  mv->set_to_org_unit("orgUnits/t-w");
  ASSERT_TRUE(api_.DissolveTeam(admin_, req, &resp).ok());
  EXPECT_EQ(TeamOn("rep-3", Day(2026, 1, 5)), "orgUnits/t-w");
  v1::GetOrgUnitRequest get;
  get.set_name("orgUnits/t-b");
  v1::GetOrgUnitResponse got;
  EXPECT_EQ(api_.GetOrgUnit(admin_, get, &got).code(), absl::StatusCode::kNotFound);
}

// A member who joins after a dissolve was decided makes the command abort.
TEST_P(ReorgApiTest, StaleMemberSetAborts) {
  Tree();
  auto team = repo_.GetUnit("t-b");
  ASSERT_TRUE(team.ok() && *team);
  ReorgCommit c;
  c.removed_units = {**team};
  Person("rep-late", "t-b");  // joins after the read
  EXPECT_EQ(repo_.CommitReorg(c).code(), absl::StatusCode::kAborted);
}

// Reorganisation commands are for admins and directors only.
TEST_P(ReorgApiTest, PolicyForReorgs) {
  MethodPolicy p = OrgMethodPolicy();
  auto allowed = [&](const char* m, Role r) { return p.Check(m, {"x", r, "t-a"}).ok(); };
  EXPECT_TRUE(allowed("MergeTeams", Role::kDirector));
  EXPECT_FALSE(allowed("MergeTeams", Role::kManager));
  EXPECT_FALSE(allowed("SplitTeam", Role::kSupervisor));
  EXPECT_FALSE(allowed("ListReorganisations", Role::kRep));
  EXPECT_TRUE(allowed("ListDevelopmentPlans", Role::kRep));
  EXPECT_FALSE(allowed("RecordAssessment", Role::kRep));
}

// The role policy of every new method, per role (object-level checks come on top).
TEST_P(ReorgApiTest, RolePolicyMatrix) {
  MethodPolicy p = OrgMethodPolicy();
  // Lowest role allowed per method (roles are ordered by reach).
  const std::vector<std::pair<const char*, Role>> lowest = {
      {"CreatePosition", Role::kManager},
      {"GetPosition", Role::kRep},
      {"ListPositions", Role::kRep},
      {"ChangeDuties", Role::kManager},
      {"GetMemberDuties", Role::kRep},
      {"SplitTeam", Role::kDirector},
      {"MergeTeams", Role::kDirector},
      {"DissolveTeam", Role::kDirector},
      {"ListReorganisations", Role::kSupervisor},
      {"GetMemberHistory", Role::kRep},
      {"GetTeamEfficiency", Role::kSupervisor},
      {"SetTeamTarget", Role::kDirector},
      {"GetTalentConfig", Role::kSupervisor},
      {"UpdateTalentConfig", Role::kDirector},
      {"RecordAssessment", Role::kSupervisor},
      {"ListAssessments", Role::kSupervisor},
      {"CreateDevelopmentPlan", Role::kSupervisor},
      {"UpdateDevelopmentPlan", Role::kSupervisor},
      {"ListDevelopmentPlans", Role::kRep},
      {"CreatePromotionTrack", Role::kDirector},
      {"ListPromotionTracks", Role::kRep},
      {"SubmitPromotionRequest", Role::kSupervisor},
      {"ApprovePromotionRequest", Role::kDirector},
      {"RejectPromotionRequest", Role::kDirector},
      {"GetPromotionRequest", Role::kSupervisor}};
  for (const auto& [method, min_role] : lowest) {
    for (Role r : {Role::kRep, Role::kSupervisor, Role::kManager, Role::kDirector, Role::kAdmin}) {
      EXPECT_EQ(p.Check(method, {"x", r, "t-a"}).ok(), r >= min_role)
          << method << " as " << RoleName(r);
    }
  }
}

// Duties are effective-dated: the answer for a date is the version in force
// then, for the member's team and role on that date.
TEST_P(ReorgApiTest, DutiesAsOf) {
  Tree();
  v1::CreatePositionRequest create;
  create.set_position_id("pos-a-rep");
  auto* p = create.mutable_position();
  p->set_team("orgUnits/t-a");
  p->set_role(v1::ROLE_REP);
  p->set_title("客户经理");
  p->add_duty_history()->add_duties("新客户开发");
  v1::CreatePositionResponse created;
  ASSERT_TRUE(api_.CreatePosition(admin_, create, &created).ok());
  EXPECT_EQ(created.position().duty_history(0).author(), "members/admin");
  // Only one position per team and role.
  create.set_position_id("pos-a-rep2");
  EXPECT_EQ(api_.CreatePosition(admin_, create, &created).code(), absl::StatusCode::kAlreadyExists);

  v1::ChangeDutiesRequest change;
  change.set_name("positions/pos-a-rep");
  change.set_etag("1");
  *change.mutable_duties()->mutable_effective_date() = Day(2026, 3, 1);
  change.mutable_duties()->add_duties("重点客户维护");
  v1::ChangeDutiesResponse changed;
  EXPECT_EQ(Field(api_.ChangeDuties(admin_, change, &changed)), "duties.reason");
  change.mutable_duties()->set_reason("市场转向存量");
  ASSERT_TRUE(api_.ChangeDuties(admin_, change, &changed).ok());
  // Stale etag and a version before the latest are refused.
  EXPECT_EQ(api_.ChangeDuties(admin_, change, &changed).code(), absl::StatusCode::kAborted);
  change.set_etag("2");
  *change.mutable_duties()->mutable_effective_date() = Day(2026, 2, 1);
  EXPECT_EQ(ErrorReason(api_.ChangeDuties(admin_, change, &changed)),
            "DUTIES_EFFECTIVE_DATE_NOT_AFTER_LATEST");

  auto duties_on = [&](salesops::common::v1::Date d) {
    v1::GetMemberDutiesRequest req;
    req.set_member("members/rep-1");
    *req.mutable_as_of_date() = d;
    v1::GetMemberDutiesResponse resp;
    EXPECT_TRUE(api_.GetMemberDuties(admin_, req, &resp).ok());
    return resp.duties().duties_size() > 0 ? resp.duties().duties(0) : "";
  };
  EXPECT_EQ(duties_on(Day(2026, 2, 28)), "新客户开发");
  EXPECT_EQ(duties_on(Day(2026, 3, 1)), "重点客户维护");
  // A past effective date is refused (history is not rewritten).
  AdvanceDays(100);
  change.set_etag("2");
  *change.mutable_duties()->mutable_effective_date() = Day(2026, 3, 2);
  EXPECT_EQ(Field(api_.ChangeDuties(admin_, change, &changed)), "duties.effective_date");
}

// The efficiency view: figures from the revenue projection and targets, and a
// merge flag for two teams covering the same cells.
TEST_P(ReorgApiTest, EfficiencyFlagsOverlap) {
  Tree();
  store_->AddRevenue("2026-01", "t-a", 300000, "east|pl-a");
  store_->AddRevenue("2026-01", "t-b", 100000, "east|pl-a");
  store_->AddRevenue("2026-02", "t-a", 0, "east|pl-b");
  v1::SetTeamTargetRequest target;
  target.set_team("orgUnits/t-a");
  *target.mutable_month() = Day(2026, 1, 1);
  target.mutable_amount()->set_amount_minor(600000);
  v1::SetTeamTargetResponse set;
  ASSERT_TRUE(api_.SetTeamTarget(admin_, target, &set).ok());
  EXPECT_EQ(store_->events().back().type, "salesops.org.v1.TeamTargetSet");
  store_->CatchUp();
  v1::GetTeamEfficiencyRequest req;
  *req.mutable_start_month() = Day(2026, 1, 1);
  *req.mutable_end_month() = Day(2026, 2, 1);
  req.set_org_unit("orgUnits/east");
  v1::GetTeamEfficiencyResponse resp;
  ASSERT_TRUE(api_.GetTeamEfficiency(admin_, req, &resp).ok());
  ASSERT_EQ(resp.teams_size(), 2);
  EXPECT_EQ(resp.teams(0).team(), "orgUnits/t-a");
  EXPECT_EQ(resp.teams(0).headcount(), 3);
  EXPECT_EQ(resp.teams(0).revenue().amount_minor(), 300000);
  EXPECT_EQ(resp.teams(0).revenue_per_head().amount_minor(), 100000);
  EXPECT_EQ(resp.teams(0).attainment_bp(), 5000);
  ASSERT_GE(resp.flags_size(), 1);
  EXPECT_EQ(resp.flags(0).reason(), "COVERAGE_OVERLAP");
  // End before start names the field; a supervisor sees only their team.
  *req.mutable_end_month() = Day(2025, 12, 1);
  EXPECT_EQ(Field(api_.GetTeamEfficiency(admin_, req, &resp)), "end_month");
  *req.mutable_end_month() = Day(2026, 2, 1);
  resp.Clear();
  ASSERT_TRUE(api_.GetTeamEfficiency(As(Role::kSupervisor, "sup-a", "t-a"), req, &resp).ok());
  ASSERT_EQ(resp.teams_size(), 1);
  EXPECT_EQ(resp.teams(0).team(), "orgUnits/t-a");
}

// Talent: weights must sum to 100 %, periods must be known, assessments are
// visible only upwards, and promotion requests follow their criteria.
TEST_P(ReorgApiTest, TalentPipeline) {
  Tree();
  v1::UpdateTalentConfigRequest cfg;
  auto* c = cfg.mutable_talent_config();
  c->set_performance_weight_bp(5000);
  c->set_capability_weight_bp(3000);
  c->set_potential_weight_bp(1000);
  c->set_low_threshold(40);
  c->set_high_threshold(70);
  auto* period = c->add_periods();
  period->set_id("2026-H1");
  *period->mutable_start_date() = Day(2026, 1, 1);
  *period->mutable_end_date() = Day(2025, 6, 30);
  v1::UpdateTalentConfigResponse cfg_resp;
  EXPECT_EQ(Field(api_.UpdateTalentConfig(admin_, cfg, &cfg_resp)),
            "talent_config.periods[0].end_date");
  *period->mutable_end_date() = Day(2026, 6, 30);
  EXPECT_EQ(ErrorReason(api_.UpdateTalentConfig(admin_, cfg, &cfg_resp)),
            "WEIGHTS_MUST_SUM_TO_100_PERCENT");
  c->set_potential_weight_bp(2000);
  ASSERT_TRUE(api_.UpdateTalentConfig(admin_, cfg, &cfg_resp).ok());

  const CallContext sup = As(Role::kSupervisor, "sup-a", "t-a");
  v1::RecordAssessmentRequest rec;
  auto* a = rec.mutable_assessment();
  a->set_member("members/rep-1");
  a->set_period("2025-H2");
  a->set_performance(85);
  a->set_capability(80);
  a->set_potential(90);
  v1::RecordAssessmentResponse recorded;
  absl::Status unknown = api_.RecordAssessment(sup, rec, &recorded);
  EXPECT_EQ(ErrorReason(unknown), "UNKNOWN_PERIOD");
  EXPECT_EQ(Field(unknown), "assessment.period");
  a->set_period("2026-H1");
  ASSERT_TRUE(api_.RecordAssessment(sup, rec, &recorded).ok());
  EXPECT_EQ(recorded.assessment().weighted_score_bp(), 8450);
  EXPECT_EQ(recorded.assessment().nine_box(), v1::NINE_BOX_STAR);
  // The member and a peer cannot see it; nor record one for a peer.
  v1::ListAssessmentsRequest list;
  list.set_member("members/rep-1");
  v1::ListAssessmentsResponse listed;
  EXPECT_EQ(api_.ListAssessments(As(Role::kRep, "rep-1", "t-a"), list, &listed).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(api_.ListAssessments(As(Role::kRep, "rep-2", "t-a"), list, &listed).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(api_.ListAssessments(As(Role::kManager, "mgr", "east"), list, &listed).ok());
  EXPECT_EQ(listed.assessments_size(), 1);
  // A team listing skips what the caller may not see (the supervisor themself).
  v1::ListAssessmentsRequest team_list;
  team_list.set_org_unit("orgUnits/t-a");
  team_list.set_period("2026-H1");
  listed.Clear();
  ASSERT_TRUE(api_.ListAssessments(sup, team_list, &listed).ok());
  EXPECT_EQ(listed.assessments_size(), 1);

  // Promotion: a track with criteria; submit, approve.
  v1::CreatePromotionTrackRequest track;
  track.set_promotion_track_id("rep-to-sup");
  track.mutable_promotion_track()->set_display_name("销售代表晋升主管");
  track.mutable_promotion_track()->set_from_role(v1::ROLE_REP);
  track.mutable_promotion_track()->set_to_role(v1::ROLE_SUPERVISOR);
  track.mutable_promotion_track()->set_min_weighted_score_bp(8000);
  track.mutable_promotion_track()->set_min_assessed_periods(1);
  v1::CreatePromotionTrackResponse track_resp;
  ASSERT_TRUE(api_.CreatePromotionTrack(admin_, track, &track_resp).ok());
  v1::SubmitPromotionRequestRequest submit;
  submit.mutable_promotion_request()->set_member("members/rep-2");
  submit.mutable_promotion_request()->set_track("promotionTracks/rep-to-sup");
  submit.mutable_promotion_request()->set_justification("业绩突出");
  v1::SubmitPromotionRequestResponse submitted;
  EXPECT_EQ(ErrorReason(api_.SubmitPromotionRequest(sup, submit, &submitted)),
            "PROMOTION_CRITERIA_NOT_MET");
  submit.mutable_promotion_request()->set_member("members/rep-1");
  ASSERT_TRUE(api_.SubmitPromotionRequest(sup, submit, &submitted).ok());
  v1::ApprovePromotionRequestRequest approve;
  approve.set_name(submitted.promotion_request().name());
  v1::ApprovePromotionRequestResponse approved;
  ASSERT_TRUE(
      api_.ApprovePromotionRequest(As(Role::kDirector, "dir", "acme"), approve, &approved).ok());
  EXPECT_EQ(approved.promotion_request().state(), v1::PROMOTION_REQUEST_STATE_APPROVED);
  EXPECT_EQ(ErrorReason(api_.ApprovePromotionRequest(admin_, approve, &approved)),
            "PROMOTION_REQUEST_DECIDED");
  EXPECT_EQ(store_->events().back().type, "salesops.org.v1.PromotionRequestApproved");
}

INSTANTIATE_TEST_SUITE_P(Repositories, ReorgApiTest, ::testing::ValuesIn(kOrgRepositoryKinds));

}  // namespace
}  // namespace salesops::org
