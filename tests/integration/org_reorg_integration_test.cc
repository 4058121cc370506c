// Issue #3 over gRPC against a real Redis and Kafka: split, merge and dissolve
// with their events on the topic and the reorganisation log, "which team on
// date D" answers, positions and duties, conflicting reorganisations from
// parallel clients (exactly one wins), the efficiency view fed by
// OpportunityWon CloudEvents (redelivery counted once), the talent pipeline
// with its events, bad input naming the field or rule, and who may do what.
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/events/cloud_event.h"
#include "common/status/grpc_status.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/org/v1/org_events.pb.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {
namespace {

namespace v1 = salesops::org::v1;
using Stub = v1::OrgService::Stub;
constexpr char kTopic[] = "salesops.org.events.v1";
constexpr char kCustomersTopic[] = "salesops.customers.events.v1";

std::string Field(const grpc::Status& s) {
  google::rpc::Status rpc = RpcStatusDetails(s);
  for (const auto& any : rpc.details()) {
    google::rpc::BadRequest br;
    if (any.UnpackTo(&br) && br.field_violations_size() > 0) {
      return br.field_violations(0).field();
    }
  }
  return "";
}

std::string Reason(const grpc::Status& s) {
  google::rpc::Status rpc = RpcStatusDetails(s);
  for (const auto& any : rpc.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) {
      return info.reason();
    }
  }
  return "";
}

salesops::common::v1::Date Today() {
  const absl::CivilDay d = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
  salesops::common::v1::Date out;
  out.set_year(static_cast<int>(d.year()));
  out.set_month(d.month());
  out.set_day(d.day());
  return out;
}

class OrgReorgTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new OrgServer("", {"--org_revenue_group=org-revenue-test-" + UniqueSuffix()});
    server_->Start();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    sfx_ = UniqueSuffix();
    admin_ = Token(Role::kAdmin, "admin-" + sfx_, "");
  }

  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const std::string& token, const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    Authorize(ctx, token);
    return (server_->stub().*method)(&ctx, req, resp);
  }

  std::string Id(const std::string& base) { return base + "-" + sfx_; }

  v1::OrgUnit Unit(const std::string& base, v1::OrgUnitKind kind, const std::string& parent) {
    v1::CreateOrgUnitRequest req;
    req.set_org_unit_id(Id(base));
    req.mutable_org_unit()->set_display_name("单元 " + base);
    req.mutable_org_unit()->set_kind(kind);
    if (!parent.empty()) {
      req.mutable_org_unit()->set_parent("orgUnits/" + Id(parent));
    }
    v1::CreateOrgUnitResponse resp;
    grpc::Status s = Call(&Stub::CreateOrgUnit, admin_, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.org_unit();
  }

  void Person(const std::string& base, const std::string& unit, v1::Role role = v1::ROLE_REP) {
    v1::CreateMemberRequest req;
    req.set_member_id(Id(base));
    req.mutable_member()->set_display_name("李娜");
    req.mutable_member()->set_email(Id(base) + "@example.com");
    req.mutable_member()->set_role(role);
    req.mutable_member()->set_department(v1::DEPARTMENT_SALES);
    req.mutable_member()->set_org_unit("orgUnits/" + Id(unit));
    v1::CreateMemberResponse resp;
    grpc::Status s = Call(&Stub::CreateMember, admin_, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }

  // company → east (teams a, b) and west (team w), with members.
  void Tree() {
    Unit("co", v1::ORG_UNIT_KIND_COMPANY, "");
    Unit("east", v1::ORG_UNIT_KIND_REGION, "co");
    Unit("west", v1::ORG_UNIT_KIND_REGION, "co");
    Unit("a", v1::ORG_UNIT_KIND_TEAM, "east");
    Unit("b", v1::ORG_UNIT_KIND_TEAM, "east");
    Unit("w", v1::ORG_UNIT_KIND_TEAM, "west");
    Person("sup-a", "a", v1::ROLE_SUPERVISOR);
    Person("rep-1", "a");
    Person("rep-2", "a");
    Person("rep-3", "b");
    Person("rep-w", "w");
  }

  std::string Etag(const std::string& base) {
    v1::GetOrgUnitRequest req;
    req.set_name("orgUnits/" + Id(base));
    v1::GetOrgUnitResponse resp;
    EXPECT_TRUE(Call(&Stub::GetOrgUnit, admin_, req, &resp).ok());
    return resp.org_unit().etag();
  }

  std::string TeamToday(const std::string& member_base) {
    v1::GetMemberHistoryRequest req;
    req.set_member("members/" + Id(member_base));
    *req.mutable_as_of_date() = Today();
    v1::GetMemberHistoryResponse resp;
    grpc::Status s = Call(&Stub::GetMemberHistory, admin_, req, &resp);
    if (!s.ok() || resp.periods_size() != 1) {
      return "error: " + s.error_message();
    }
    return resp.periods(0).org_unit();
  }

  // This test's records of the reorganisation / position types (the set-up's
  // creations may still be on their way through the relay). OrgUnitCreated
  // counts only for units whose id contains `created`.
  std::function<bool(const Record&)> Mine(const std::string& created = "\x01") {
    const std::string sfx = sfx_;
    return [sfx, created](const Record& r) {
      auto subject = r.headers.find("ce_subject");
      auto type = r.headers.find("ce_type");
      if (subject == r.headers.end() || type == r.headers.end() ||
          subject->second.find(sfx) == std::string::npos) {
        return false;
      }
      static const std::set<std::string> kTypes = {
          "salesops.org.v1.MemberMoved",   "salesops.org.v1.OrgUnitDeleted",
          "salesops.org.v1.TeamsMerged",   "salesops.org.v1.TeamSplit",
          "salesops.org.v1.TeamDissolved", "salesops.org.v1.PositionCreated"};
      if (kTypes.count(type->second) > 0) {
        return true;
      }
      return type->second == "salesops.org.v1.OrgUnitCreated" &&
             subject->second.find(created) != std::string::npos;
    };
  }

  static std::multiset<std::string> Types(const std::vector<Record>& records) {
    std::multiset<std::string> out;
    for (const auto& r : records) {
      out.insert(r.headers.at("ce_type"));
    }
    return out;
  }

  static OrgServer* server_;
  std::string sfx_;
  std::string admin_;
};

OrgServer* OrgReorgTest::server_ = nullptr;

// Merge: every member moves, the source is removed, and the topic carries
// MemberMoved per member, OrgUnitDeleted and TeamsMerged (with the actor);
// history and the reorganisation log answer afterwards.
TEST_F(OrgReorgTest, MergeEmitsEventsAndKeepsHistory) {
  Tree();
  TopicReader reader(TestEnv::Get().kafka_bootstrap, kTopic);
  v1::MergeTeamsRequest req;
  req.set_source("orgUnits/" + Id("a"));
  req.set_source_etag(Etag("a"));
  req.set_target("orgUnits/" + Id("b"));
  req.set_target_etag(Etag("b"));
  req.set_reason("两组覆盖同一客户群");
  v1::MergeTeamsResponse resp;
  grpc::Status s = Call(&Stub::MergeTeams, admin_, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.reorganisation().moves_size(), 3);

  std::vector<Record> records = reader.ReadUntil(Mine(), 5, absl::Seconds(30));
  EXPECT_EQ(Types(records), (std::multiset<std::string>{
                                "salesops.org.v1.MemberMoved", "salesops.org.v1.MemberMoved",
                                "salesops.org.v1.MemberMoved", "salesops.org.v1.OrgUnitDeleted",
                                "salesops.org.v1.TeamsMerged"}));
  for (const auto& r : records) {
    if (r.headers.at("ce_type") != "salesops.org.v1.TeamsMerged") {
      continue;
    }
    EXPECT_EQ(r.key, Id("a"));
    v1::TeamsMerged merged;
    ASSERT_TRUE(merged.ParseFromString(r.value));
    EXPECT_EQ(merged.target().name(), "orgUnits/" + Id("b"));
    EXPECT_EQ(merged.reorganisation().actor().member_id(), "admin-" + sfx_);
  }
  EXPECT_EQ(TeamToday("rep-1"), "orgUnits/" + Id("b"));

  v1::ListReorganisationsRequest list;
  list.set_org_unit("orgUnits/" + Id("b"));
  *list.mutable_start_date() = Today();
  *list.mutable_end_date() = Today();
  v1::ListReorganisationsResponse listed;
  ASSERT_TRUE(Call(&Stub::ListReorganisations, admin_, list, &listed).ok());
  ASSERT_EQ(listed.reorganisations_size(), 1);
  EXPECT_EQ(listed.reorganisations(0).kind(), v1::REORGANISATION_KIND_MERGE);
  // The full history of a moved member: joined in a, then b (same day: one period).
  v1::GetMemberHistoryRequest hist;
  hist.set_member("members/" + Id("rep-1"));
  v1::GetMemberHistoryResponse history;
  ASSERT_TRUE(Call(&Stub::GetMemberHistory, admin_, hist, &history).ok());
  ASSERT_GE(history.periods_size(), 1);
  EXPECT_EQ(history.periods(history.periods_size() - 1).org_unit(), "orgUnits/" + Id("b"));
  // The headcount projection follows the moves.
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  int64_t count = 0;
  while (absl::Now() < deadline) {
    v1::GetOrgUnitRequest get;
    get.set_name("orgUnits/" + Id("b"));
    v1::GetOrgUnitResponse got;
    ASSERT_TRUE(Call(&Stub::GetOrgUnit, admin_, get, &got).ok());
    count = got.org_unit().member_count();
    if (count == 4) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(count, 4);
}

// Split and dissolve with their events; the dissolve moves every member.
TEST_F(OrgReorgTest, SplitAndDissolveEmitEvents) {
  Tree();
  TopicReader reader(TestEnv::Get().kafka_bootstrap, kTopic);
  v1::SplitTeamRequest split;
  split.set_team("orgUnits/" + Id("a"));
  split.set_etag(Etag("a"));
  split.set_reason("大客户单独成组");
  auto* nt = split.add_new_teams();
  nt->set_org_unit_id(Id("ka"));
  nt->set_display_name("大客户组");
  nt->add_members("members/" + Id("rep-1"));
  v1::SplitTeamResponse split_resp;
  grpc::Status s = Call(&Stub::SplitTeam, admin_, split, &split_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(TeamToday("rep-1"), "orgUnits/" + Id("ka"));
  EXPECT_EQ(TeamToday("rep-2"), "orgUnits/" + Id("a"));

  v1::DissolveTeamRequest dissolve;
  dissolve.set_team("orgUnits/" + Id("ka"));
  dissolve.set_reason("试点结束");
  v1::DissolveTeamResponse dissolved;
  grpc::Status busy = Call(&Stub::DissolveTeam, admin_, dissolve, &dissolved);
  EXPECT_EQ(busy.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(busy), "ORG_UNIT_HAS_MEMBERS");
  auto* mv = dissolve.add_moves();
  mv->set_member("members/" + Id("rep-1"));
  mv->set_to_org_unit("orgUnits/" + Id("east"));  // not a team
  grpc::Status not_team = Call(&Stub::DissolveTeam, admin_, dissolve, &dissolved);
  EXPECT_EQ(not_team.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Field(not_team), "moves[0].to_org_unit");
  mv->set_to_org_unit("orgUnits/" + Id("w"));
  s = Call(&Stub::DissolveTeam, admin_, dissolve, &dissolved);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(TeamToday("rep-1"), "orgUnits/" + Id("w"));

  std::vector<Record> records = reader.ReadUntil(Mine("/" + Id("ka")), 6, absl::Seconds(30));
  EXPECT_EQ(Types(records),
            (std::multiset<std::string>{
                "salesops.org.v1.OrgUnitCreated", "salesops.org.v1.MemberMoved",
                "salesops.org.v1.TeamSplit", "salesops.org.v1.MemberMoved",
                "salesops.org.v1.OrgUnitDeleted", "salesops.org.v1.TeamDissolved"}));
}

// Bad input names the field or rule.
TEST_F(OrgReorgTest, BadInputNamesFieldOrRule) {
  Tree();
  v1::MergeTeamsRequest self;
  self.set_source("orgUnits/" + Id("a"));
  self.set_target("orgUnits/" + Id("a"));
  self.set_reason("x");
  v1::MergeTeamsResponse merged;
  grpc::Status s = Call(&Stub::MergeTeams, admin_, self, &merged);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(s), "MERGE_INTO_SELF");
  EXPECT_EQ(Field(s), "target");

  v1::UpdateTalentConfigRequest cfg;
  cfg.mutable_talent_config()->set_performance_weight_bp(5000);
  cfg.mutable_talent_config()->set_capability_weight_bp(3000);
  cfg.mutable_talent_config()->set_potential_weight_bp(1000);
  cfg.mutable_talent_config()->set_low_threshold(40);
  cfg.mutable_talent_config()->set_high_threshold(70);
  v1::UpdateTalentConfigResponse cfg_resp;
  s = Call(&Stub::UpdateTalentConfig, admin_, cfg, &cfg_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(s), "WEIGHTS_MUST_SUM_TO_100_PERCENT");

  v1::ListReorganisationsRequest list;
  list.set_org_unit("orgUnits/" + Id("a"));
  *list.mutable_start_date() = Today();
  list.mutable_end_date()->set_year(2000);
  list.mutable_end_date()->set_month(1);
  list.mutable_end_date()->set_day(1);
  v1::ListReorganisationsResponse listed;
  s = Call(&Stub::ListReorganisations, admin_, list, &listed);
  EXPECT_EQ(Field(s), "end_date");

  v1::RecordAssessmentRequest rec;
  rec.mutable_assessment()->set_member("members/" + Id("rep-1"));
  rec.mutable_assessment()->set_period("no-such-period-" + sfx_);
  v1::RecordAssessmentResponse recorded;
  s = Call(&Stub::RecordAssessment, admin_, rec, &recorded);
  EXPECT_EQ(Reason(s), "UNKNOWN_PERIOD");
  EXPECT_EQ(Field(s), "assessment.period");
}

// Two conflicting reorganisations from parallel clients, both decided on the
// same etags: exactly one commits, the other gets ABORTED; the tree shows
// exactly the winner's change.
TEST_F(OrgReorgTest, ConflictingReorganisationsExactlyOneWins) {
  Unit("co", v1::ORG_UNIT_KIND_COMPANY, "");
  Unit("east", v1::ORG_UNIT_KIND_REGION, "co");
  int merges = 0, splits = 0;
  for (int round = 0; round < 8; ++round) {
    const std::string a = absl::StrCat("ca", round), b = absl::StrCat("cb", round);
    Unit(a, v1::ORG_UNIT_KIND_TEAM, "east");
    Unit(b, v1::ORG_UNIT_KIND_TEAM, "east");
    Person(absl::StrCat("cm", round, "a"), a);
    Person(absl::StrCat("cm", round, "b"), b);
    const std::string etag_a = Etag(a), etag_b = Etag(b);
    v1::SplitTeamRequest split;
    split.set_team("orgUnits/" + Id(a));
    split.set_etag(etag_a);
    split.set_reason("split");
    split.add_new_teams()->set_display_name("新组");
    split.mutable_new_teams(0)->add_members("members/" + Id(absl::StrCat("cm", round, "a")));
    v1::MergeTeamsRequest merge;
    merge.set_source("orgUnits/" + Id(b));
    merge.set_source_etag(etag_b);
    merge.set_target("orgUnits/" + Id(a));
    merge.set_target_etag(etag_a);
    merge.set_reason("merge");
    grpc::Status s1, s2;
    const std::string token1 = Token(Role::kAdmin, "admin-1-" + sfx_, "");
    const std::string token2 = Token(Role::kDirector, "dir-2-" + sfx_, Id("co"));
    std::thread t1([&] {
      v1::SplitTeamResponse r;
      s1 = Call(&Stub::SplitTeam, token1, split, &r);
    });
    std::thread t2([&] {
      v1::MergeTeamsResponse r;
      s2 = Call(&Stub::MergeTeams, token2, merge, &r);
    });
    t1.join();
    t2.join();
    ASSERT_NE(s1.ok(), s2.ok()) << "round " << round << ": " << s1.error_message() << " / "
                                << s2.error_message();
    const grpc::Status& loser = s1.ok() ? s2 : s1;
    EXPECT_EQ(loser.error_code(), grpc::StatusCode::ABORTED) << loser.error_message();
    (s1.ok() ? splits : merges)++;
    // The tree shows exactly the winner's change.
    v1::GetOrgUnitRequest get;
    get.set_name("orgUnits/" + Id(b));
    v1::GetOrgUnitResponse got;
    EXPECT_EQ(Call(&Stub::GetOrgUnit, admin_, get, &got).ok(), s1.ok());
  }
  EXPECT_EQ(merges + splits, 8);
}

// Positions with duties: the member's duties today, and the event.
TEST_F(OrgReorgTest, PositionsAndDuties) {
  Tree();
  TopicReader reader(TestEnv::Get().kafka_bootstrap, kTopic);
  v1::CreatePositionRequest create;
  create.set_position_id(Id("pos"));
  create.set_request_id("req-" + sfx_);
  auto* p = create.mutable_position();
  p->set_team("orgUnits/" + Id("a"));
  p->set_role(v1::ROLE_REP);
  p->set_title("客户经理");
  p->add_duty_history()->add_duties("新客户开发");
  p->mutable_duty_history(0)->add_tasks("每周拜访 5 家 A 级客户");
  v1::CreatePositionResponse created;
  grpc::Status s = Call(&Stub::CreatePosition, admin_, create, &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // A retry with the same request_id returns the same position.
  v1::CreatePositionResponse again;
  ASSERT_TRUE(Call(&Stub::CreatePosition, admin_, create, &again).ok());
  EXPECT_EQ(again.position().name(), created.position().name());

  v1::GetMemberDutiesRequest duties;
  duties.set_member("members/" + Id("rep-1"));
  v1::GetMemberDutiesResponse got;
  ASSERT_TRUE(Call(&Stub::GetMemberDuties, admin_, duties, &got).ok());
  EXPECT_EQ(got.position(), "positions/" + Id("pos"));
  ASSERT_EQ(got.duties().duties_size(), 1);
  EXPECT_EQ(got.duties().duties(0), "新客户开发");

  v1::ChangeDutiesRequest change;
  change.set_name("positions/" + Id("pos"));
  change.set_etag("1");
  *change.mutable_duties()->mutable_effective_date() = Today();
  change.mutable_duties()->add_duties("存量客户维护");
  change.mutable_duties()->set_reason("市场转向存量");
  v1::ChangeDutiesResponse changed;
  s = Call(&Stub::ChangeDuties, admin_, change, &changed);
  // Today equals the first version's date: the new one must start later.
  EXPECT_EQ(Reason(s), "DUTIES_EFFECTIVE_DATE_NOT_AFTER_LATEST");

  std::vector<Record> records = reader.ReadUntil(Mine(), 1, absl::Seconds(30));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].headers.at("ce_type"), "salesops.org.v1.PositionCreated");
  // A rep may read positions, not create them.
  grpc::Status denied =
      Call(&Stub::CreatePosition, Token(Role::kRep, Id("rep-1"), Id("a")), create, &created);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

// OpportunityWon CloudEvents on the customers topic feed the efficiency view,
// effectively once; two teams covering the same cells are merge candidates.
TEST_F(OrgReorgTest, EfficiencyFromDealEvents) {
  Tree();
  const TestEnv& env = TestEnv::Get();
  auto publish = [&](const std::string& team, int64_t amount, const std::string& pl,
                     const std::string& id) {
    salesops::customers::v1::OpportunityWon won;
    won.set_opportunity("opportunities/" + id);
    won.set_team("orgUnits/" + Id(team));
    won.set_region("orgUnits/" + Id("east"));
    won.set_product_line(pl);
    won.mutable_amount()->set_amount_minor(amount);
    won.mutable_amount()->set_currency_code("CNY");
    won.mutable_won_date()->set_year(2026);
    won.mutable_won_date()->set_month(10);
    won.mutable_won_date()->set_day(15);
    CloudEvent e =
        MakeCloudEvent("/salesops/customers", id, "opportunities/" + id, won, absl::Now());
    e.id = "evt-" + id;
    ASSERT_TRUE(
        ProduceRaw(env.kafka_bootstrap, kCustomersTopic, e.key, e.data, ToKafkaHeaders(e)).ok());
  };
  publish("a", 300000, "pl-x", Id("o1"));
  publish("a", 300000, "pl-x", Id("o1"));  // redelivered: same source + id
  publish("b", 100000, "pl-x", Id("o2"));

  v1::GetTeamEfficiencyRequest req;
  req.mutable_start_month()->set_year(2026);
  req.mutable_start_month()->set_month(10);
  req.mutable_end_month()->set_year(2026);
  req.mutable_end_month()->set_month(12);
  req.set_org_unit("orgUnits/" + Id("east"));
  v1::GetTeamEfficiencyResponse resp;
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    resp.Clear();
    ASSERT_TRUE(Call(&Stub::GetTeamEfficiency, admin_, req, &resp).ok());
    // Both projections are asynchronous: the deals (revenue) and, when this
    // test runs first, the members Tree() just added (headcount).
    int64_t headcount_a = 0;
    for (const auto& t : resp.teams()) {
      if (t.team() == "orgUnits/" + Id("a")) {
        headcount_a = t.headcount();
      }
    }
    if (resp.teams_size() == 2 && resp.teams(0).won_deals() + resp.teams(1).won_deals() >= 2 &&
        headcount_a == 3) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_EQ(resp.teams_size(), 2);
  std::map<std::string, v1::TeamEfficiency> by_team;
  for (const auto& t : resp.teams()) {
    by_team[t.team()] = t;
  }
  const auto& a = by_team["orgUnits/" + Id("a")];
  EXPECT_EQ(a.revenue().amount_minor(), 300000);  // once, not twice
  EXPECT_EQ(a.won_deals(), 1);
  EXPECT_EQ(a.headcount(), 3);
  EXPECT_EQ(a.revenue_per_head().amount_minor(), 100000);
  bool merge_flag = false;
  for (const auto& f : resp.flags()) {
    merge_flag = merge_flag || (f.reason() == "COVERAGE_OVERLAP" && f.teams_size() == 2);
  }
  EXPECT_TRUE(merge_flag);
  // Reps have no efficiency view; a supervisor sees only their own team.
  EXPECT_EQ(Call(&Stub::GetTeamEfficiency, Token(Role::kRep, Id("rep-1"), Id("a")), req, &resp)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  resp.Clear();
  ASSERT_TRUE(
      Call(&Stub::GetTeamEfficiency, Token(Role::kSupervisor, Id("sup-a"), Id("a")), req, &resp)
          .ok());
  ASSERT_EQ(resp.teams_size(), 1);
  EXPECT_EQ(resp.teams(0).team(), "orgUnits/" + Id("a"));
}

// The talent pipeline: config, an assessment visible only upwards, a
// promotion request submitted and approved, each with its event.
TEST_F(OrgReorgTest, TalentPipelineAndVisibility) {
  Tree();
  TopicReader reader(TestEnv::Get().kafka_bootstrap, kTopic);
  v1::GetTalentConfigRequest get_cfg;
  v1::GetTalentConfigResponse current;
  ASSERT_TRUE(Call(&Stub::GetTalentConfig, admin_, get_cfg, &current).ok());
  v1::UpdateTalentConfigRequest cfg;
  *cfg.mutable_talent_config() = current.talent_config();
  auto* c = cfg.mutable_talent_config();
  c->set_performance_weight_bp(5000);
  c->set_capability_weight_bp(3000);
  c->set_potential_weight_bp(2000);
  auto* period = c->add_periods();
  period->set_id(Id("h1"));
  period->mutable_start_date()->set_year(2026);
  period->mutable_start_date()->set_month(1);
  period->mutable_start_date()->set_day(1);
  period->mutable_end_date()->set_year(2026);
  period->mutable_end_date()->set_month(6);
  period->mutable_end_date()->set_day(30);
  v1::UpdateTalentConfigResponse updated;
  // Concurrent tests share the config: retry on a lost race.
  grpc::Status s;
  for (int i = 0; i < 5; ++i) {
    s = Call(&Stub::UpdateTalentConfig, admin_, cfg, &updated);
    if (s.error_code() != grpc::StatusCode::ABORTED) {
      break;
    }
    ASSERT_TRUE(Call(&Stub::GetTalentConfig, admin_, get_cfg, &current).ok());
    c->set_etag(current.talent_config().etag());
  }
  ASSERT_TRUE(s.ok()) << s.error_message();

  const std::string sup = Token(Role::kSupervisor, Id("sup-a"), Id("a"));
  v1::RecordAssessmentRequest rec;
  auto* a = rec.mutable_assessment();
  a->set_member("members/" + Id("rep-1"));
  a->set_period(Id("h1"));
  a->set_performance(85);
  a->set_capability(80);
  a->set_potential(90);
  v1::RecordAssessmentResponse recorded;
  s = Call(&Stub::RecordAssessment, sup, rec, &recorded);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(recorded.assessment().nine_box(), v1::NINE_BOX_STAR);

  v1::ListAssessmentsRequest list;
  list.set_member("members/" + Id("rep-1"));
  v1::ListAssessmentsResponse listed;
  // Never the assessed member, a peer, or a supervisor/manager elsewhere.
  for (const std::string& token :
       {Token(Role::kRep, Id("rep-1"), Id("a")), Token(Role::kRep, Id("rep-2"), Id("a")),
        Token(Role::kSupervisor, Id("sup-b"), Id("b")),
        Token(Role::kManager, Id("mgr-w"), Id("west"))}) {
    EXPECT_EQ(Call(&Stub::ListAssessments, token, list, &listed).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  // Upwards: the team's supervisor, the region's manager, a director.
  for (const std::string& token : {sup, Token(Role::kManager, Id("mgr-e"), Id("east")),
                                   Token(Role::kDirector, Id("dir"), Id("co"))}) {
    listed.Clear();
    ASSERT_TRUE(Call(&Stub::ListAssessments, token, list, &listed).ok());
    EXPECT_EQ(listed.assessments_size(), 1);
  }

  v1::CreatePromotionTrackRequest track;
  track.set_promotion_track_id(Id("track"));
  track.mutable_promotion_track()->set_display_name("代表晋升主管");
  track.mutable_promotion_track()->set_from_role(v1::ROLE_REP);
  track.mutable_promotion_track()->set_to_role(v1::ROLE_SUPERVISOR);
  track.mutable_promotion_track()->set_min_weighted_score_bp(8000);
  v1::CreatePromotionTrackResponse track_resp;
  ASSERT_TRUE(Call(&Stub::CreatePromotionTrack, admin_, track, &track_resp).ok());
  v1::SubmitPromotionRequestRequest submit;
  submit.mutable_promotion_request()->set_member("members/" + Id("rep-1"));
  submit.mutable_promotion_request()->set_track("promotionTracks/" + Id("track"));
  submit.mutable_promotion_request()->set_justification("连续两季度第一");
  v1::SubmitPromotionRequestResponse submitted;
  s = Call(&Stub::SubmitPromotionRequest, sup, submit, &submitted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::ApprovePromotionRequestRequest approve;
  approve.set_name(submitted.promotion_request().name());
  approve.set_etag("1");
  v1::ApprovePromotionRequestResponse approved;
  // Supervisors submit, directors decide.
  EXPECT_EQ(Call(&Stub::ApprovePromotionRequest, sup, approve, &approved).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  s = Call(&Stub::ApprovePromotionRequest, Token(Role::kDirector, Id("dir"), Id("co")), approve,
           &approved);
  ASSERT_TRUE(s.ok()) << s.error_message();

  std::vector<Record> records = reader.ReadUntil(
      [&](const Record& r) {
        const std::string& t = r.headers.at("ce_type");
        return r.key.find(sfx_) != std::string::npos &&
               (t == "salesops.org.v1.AssessmentRecorded" ||
                t == "salesops.org.v1.PromotionRequestSubmitted" ||
                t == "salesops.org.v1.PromotionRequestApproved" ||
                t == "salesops.org.v1.PromotionTrackCreated");
      },
      4, absl::Seconds(30));
  EXPECT_EQ(records.size(), 4u);
}

// The remaining commands and their events: a duty change effective tomorrow,
// a talent-config update, a development plan, a rejected promotion request and
// a plain MoveMember (logged as a reorganisation).
TEST_F(OrgReorgTest, RemainingCommandsEmitTheirEvents) {
  Tree();
  v1::CreatePositionRequest create;
  create.set_position_id(Id("pos"));
  create.mutable_position()->set_team("orgUnits/" + Id("b"));
  create.mutable_position()->set_role(v1::ROLE_REP);
  create.mutable_position()->set_title("客户经理");
  create.mutable_position()->add_duty_history()->add_duties("新客户开发");
  v1::CreatePositionResponse created;
  ASSERT_TRUE(Call(&Stub::CreatePosition, admin_, create, &created).ok());
  TopicReader reader(TestEnv::Get().kafka_bootstrap, kTopic);

  const absl::CivilDay tomorrow = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600)) + 1;
  v1::ChangeDutiesRequest change;
  change.set_name("positions/" + Id("pos"));
  change.set_etag("1");
  change.mutable_duties()->mutable_effective_date()->set_year(static_cast<int>(tomorrow.year()));
  change.mutable_duties()->mutable_effective_date()->set_month(tomorrow.month());
  change.mutable_duties()->mutable_effective_date()->set_day(tomorrow.day());
  change.mutable_duties()->add_duties("存量客户深耕");
  change.mutable_duties()->set_reason("市场转向存量");
  v1::ChangeDutiesResponse changed;
  grpc::Status s = Call(&Stub::ChangeDuties, admin_, change, &changed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(changed.position().duty_history_size(), 2);
  // Today the old duties still hold; tomorrow the new ones.
  v1::GetMemberDutiesRequest duties;
  duties.set_member("members/" + Id("rep-3"));
  v1::GetMemberDutiesResponse today;
  ASSERT_TRUE(Call(&Stub::GetMemberDuties, admin_, duties, &today).ok());
  EXPECT_EQ(today.duties().duties(0), "新客户开发");
  *duties.mutable_as_of_date() = change.duties().effective_date();
  v1::GetMemberDutiesResponse next;
  ASSERT_TRUE(Call(&Stub::GetMemberDuties, admin_, duties, &next).ok());
  EXPECT_EQ(next.duties().duties(0), "存量客户深耕");

  const std::string sup = Token(Role::kSupervisor, Id("sup-a"), Id("a"));
  v1::CreateDevelopmentPlanRequest plan;
  plan.set_development_plan_id(Id("plan"));
  plan.mutable_development_plan()->set_member("members/" + Id("rep-1"));
  auto* item = plan.mutable_development_plan()->add_items();
  item->set_title("大客户谈判训练营");
  item->set_kind(v1::DEVELOPMENT_ITEM_KIND_TRAINING);
  *item->mutable_due_date() = change.duties().effective_date();
  v1::CreateDevelopmentPlanResponse planned;
  s = Call(&Stub::CreateDevelopmentPlan, sup, plan, &planned);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(planned.development_plan().items(0).status(), v1::DEVELOPMENT_ITEM_STATUS_PLANNED);
  // The member reads their own plan; a peer does not.
  v1::ListDevelopmentPlansRequest plans;
  plans.set_member("members/" + Id("rep-1"));
  v1::ListDevelopmentPlansResponse listed;
  EXPECT_TRUE(
      Call(&Stub::ListDevelopmentPlans, Token(Role::kRep, Id("rep-1"), Id("a")), plans, &listed)
          .ok());
  EXPECT_EQ(listed.development_plans_size(), 1);
  EXPECT_EQ(
      Call(&Stub::ListDevelopmentPlans, Token(Role::kRep, Id("rep-2"), Id("a")), plans, &listed)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  v1::CreatePromotionTrackRequest track;
  track.set_promotion_track_id(Id("track"));
  track.mutable_promotion_track()->set_display_name("代表晋升主管");
  track.mutable_promotion_track()->set_from_role(v1::ROLE_REP);
  track.mutable_promotion_track()->set_to_role(v1::ROLE_SUPERVISOR);
  v1::CreatePromotionTrackResponse track_resp;
  ASSERT_TRUE(Call(&Stub::CreatePromotionTrack, admin_, track, &track_resp).ok());
  v1::SubmitPromotionRequestRequest submit;
  submit.mutable_promotion_request()->set_member("members/" + Id("rep-2"));
  submit.mutable_promotion_request()->set_track("promotionTracks/" + Id("track"));
  submit.mutable_promotion_request()->set_justification("潜力突出");
  v1::SubmitPromotionRequestResponse submitted;
  ASSERT_TRUE(Call(&Stub::SubmitPromotionRequest, sup, submit, &submitted).ok());
  v1::RejectPromotionRequestRequest reject;
  reject.set_name(submitted.promotion_request().name());
  v1::RejectPromotionRequestResponse rejected;
  s = Call(&Stub::RejectPromotionRequest, admin_, reject, &rejected);
  EXPECT_EQ(Field(s), "note");  // a rejection says why
  reject.set_note("业绩周期不足");
  ASSERT_TRUE(Call(&Stub::RejectPromotionRequest, admin_, reject, &rejected).ok());
  EXPECT_EQ(rejected.promotion_request().state(), v1::PROMOTION_REQUEST_STATE_REJECTED);

  v1::MoveMemberRequest move;
  move.set_name("members/" + Id("rep-w"));
  move.set_org_unit("orgUnits/" + Id("b"));
  move.set_reason("支援华东");
  v1::MoveMemberResponse moved;
  ASSERT_TRUE(Call(&Stub::MoveMember, admin_, move, &moved).ok());
  EXPECT_EQ(TeamToday("rep-w"), "orgUnits/" + Id("b"));
  v1::ListReorganisationsRequest log;
  log.set_org_unit("orgUnits/" + Id("w"));
  v1::ListReorganisationsResponse entries;
  ASSERT_TRUE(Call(&Stub::ListReorganisations, admin_, log, &entries).ok());
  ASSERT_EQ(entries.reorganisations_size(), 1);
  EXPECT_EQ(entries.reorganisations(0).kind(), v1::REORGANISATION_KIND_MOVE_MEMBER);

  std::vector<Record> records = reader.ReadUntil(
      [&](const Record& r) {
        const std::string& t = r.headers.at("ce_type");
        return r.key.find(sfx_) != std::string::npos &&
               (t == "salesops.org.v1.PositionDutiesChanged" ||
                t == "salesops.org.v1.DevelopmentPlanChanged" ||
                t == "salesops.org.v1.PromotionRequestRejected" ||
                t == "salesops.org.v1.MemberMoved");
      },
      4, absl::Seconds(30));
  EXPECT_EQ(Types(records),
            (std::multiset<std::string>{
                "salesops.org.v1.PositionDutiesChanged", "salesops.org.v1.DevelopmentPlanChanged",
                "salesops.org.v1.PromotionRequestRejected", "salesops.org.v1.MemberMoved"}));
  for (const auto& r : records) {
    if (r.headers.at("ce_type") != "salesops.org.v1.MemberMoved") {
      continue;
    }
    v1::MemberMoved m;
    ASSERT_TRUE(m.ParseFromString(r.value));
    EXPECT_EQ(m.reorganisation(), entries.reorganisations(0).name());
  }
}

// Who may reorganise and read the log.
TEST_F(OrgReorgTest, AuthorisationForReorganisation) {
  Tree();
  v1::MergeTeamsRequest merge;
  merge.set_source("orgUnits/" + Id("a"));
  merge.set_target("orgUnits/" + Id("b"));
  merge.set_reason("x");
  v1::MergeTeamsResponse merged;
  for (const std::string& token :
       {Token(Role::kManager, Id("mgr"), Id("east")),
        Token(Role::kSupervisor, Id("sup-a"), Id("a")), Token(Role::kRep, Id("rep-1"), Id("a"))}) {
    EXPECT_EQ(Call(&Stub::MergeTeams, token, merge, &merged).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  v1::ListReorganisationsRequest list;
  list.set_org_unit("orgUnits/" + Id("a"));
  v1::ListReorganisationsResponse listed;
  EXPECT_TRUE(Call(&Stub::ListReorganisations, Token(Role::kSupervisor, Id("sup-a"), Id("a")), list,
                   &listed)
                  .ok());
  EXPECT_EQ(Call(&Stub::ListReorganisations, Token(Role::kSupervisor, Id("sup-w"), Id("w")), list,
                 &listed)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Call(&Stub::ListReorganisations, Token(Role::kRep, Id("rep-1"), Id("a")), list, &listed)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Member history: a rep sees their own, not a colleague's.
  v1::GetMemberHistoryRequest hist;
  hist.set_member("members/" + Id("rep-2"));
  v1::GetMemberHistoryResponse history;
  EXPECT_EQ(Call(&Stub::GetMemberHistory, Token(Role::kRep, Id("rep-1"), Id("a")), hist, &history)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  hist.set_member("members/" + Id("rep-1"));
  EXPECT_TRUE(
      Call(&Stub::GetMemberHistory, Token(Role::kRep, Id("rep-1"), Id("a")), hist, &history).ok());
}

}  // namespace
}  // namespace salesops::testing
