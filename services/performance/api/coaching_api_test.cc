// The script library, training, drills and the case library against the
// in-memory repository: version lifecycle, win rates from deal outcomes with
// Wilson intervals, ratings, suggestions citing only published scripts,
// rubric-scored drills completing enrolments, progress, cases, scope and
// bad input.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/performance/api/test_support.h"

namespace salesops::performance {
namespace {

using namespace testing;  // NOLINT
using ::testing::HasSubstr;

CloudEvent Created(const std::string& opp, const std::string& owner, const std::string& team) {
  cv1::OpportunityCreated c;
  c.set_opportunity("opportunities/" + opp);
  c.set_customer("customers/cust-1");
  c.set_owner("members/" + owner);
  c.set_team("orgUnits/" + team);
  c.mutable_amount()->set_amount_minor(100'000'00);
  c.mutable_amount()->set_currency_code("CNY");
  CloudEvent e =
      MakeCloudEvent("/salesops/customers", "cust-1", c.opportunity(), c, ChinaNoon(2026, 11, 2));
  e.id = "created-" + opp;
  return e;
}

CloudEvent LostDeal(const std::string& opp, const std::string& owner, const std::string& team,
                    int64_t amount, const std::string& reason) {
  cv1::OpportunityLost l;
  l.set_opportunity("opportunities/" + opp);
  l.set_customer("customers/cust-1");
  l.set_display_name("华东制造集团年度框架");
  l.set_owner("members/" + owner);
  l.set_team("orgUnits/" + team);
  l.set_from_stage(cv1::OPPORTUNITY_STAGE_NEGOTIATION);
  l.set_reason(reason);
  l.set_lost_to_competitor("竞品B");
  l.mutable_amount()->set_amount_minor(amount);
  l.mutable_amount()->set_currency_code("CNY");
  *l.mutable_close_time() = ToTs(ChinaNoon(2026, 11, 20));
  CloudEvent e =
      MakeCloudEvent("/salesops/customers", "cust-1", l.opportunity(), l, ChinaNoon(2026, 11, 20));
  e.id = "lost-" + opp;
  return e;
}

class CoachingApiTest : public PerformanceTest {
 protected:
  v1::SalesScript Create(const std::string& id, v1::ScriptScenario scenario) {
    v1::CreateSalesScriptRequest req;
    req.set_script_id(id);
    req.mutable_script()->set_title("价格异议：先认同再拆解");
    req.mutable_script()->set_scenario(scenario);
    req.set_body("1. 认同客户的顾虑 …");
    v1::CreateSalesScriptResponse resp;
    absl::Status s = api_.CreateSalesScript(sup1_, req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    return resp.script();
  }
  absl::Status Move(const std::string& id, int version, v1::ScriptVersionState to,
                    v1::SalesScript* out = nullptr) {
    v1::SetScriptVersionStateRequest req;
    req.set_script("scripts/" + id);
    req.set_version(version);
    req.set_state(to);
    v1::SetScriptVersionStateResponse resp;
    absl::Status s = api_.SetScriptVersionState(sup1_, req, &resp);
    if (out != nullptr) {
      *out = resp.script();
    }
    return s;
  }
  void Publish(const std::string& id, int version) {
    ASSERT_TRUE(Move(id, version, v1::SCRIPT_VERSION_STATE_IN_REVIEW).ok());
    ASSERT_TRUE(Move(id, version, v1::SCRIPT_VERSION_STATE_PUBLISHED).ok());
  }
  absl::Status Use(const CallContext& who, const std::string& id, const std::string& opp,
                   int version = 0) {
    v1::RecordScriptUseRequest req;
    req.set_script("scripts/" + id);
    req.set_version(version);
    req.set_opportunity("opportunities/" + opp);
    v1::RecordScriptUseResponse resp;
    return api_.RecordScriptUse(who, req, &resp);
  }
  v1::SalesScript Get(const CallContext& who, const std::string& id) {
    v1::GetSalesScriptRequest req;
    req.set_name("scripts/" + id);
    v1::GetSalesScriptResponse resp;
    absl::Status s = api_.GetSalesScript(who, req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    return resp.script();
  }
  v1::TrainingProgramme Programme() {
    v1::CreateTrainingProgrammeRequest req;
    req.set_programme_id("ka-bootcamp");
    auto* p = req.mutable_programme();
    p->set_title("大客户谈判训练营");
    p->add_roles("rep");
    auto* m = p->add_modules();
    m->set_module_id("objections");
    m->set_title("价格异议");
    m->add_scripts("scripts/price");
    m->set_drill_scenario(v1::SCRIPT_SCENARIO_OBJECTION_HANDLING);
    m->set_pass_score_basis_points(7'000);
    auto* c1 = m->add_rubric();
    c1->set_criterion("需求挖掘");
    c1->set_weight_basis_points(6'000);
    auto* c2 = m->add_rubric();
    c2->set_criterion("异议处理");
    c2->set_weight_basis_points(4'000);
    auto* s = p->add_sessions();
    s->set_session_id("s1");
    s->set_title("第一课：价格异议");
    s->set_module_id("objections");
    v1::CreateTrainingProgrammeResponse resp;
    absl::Status st = api_.CreateTrainingProgramme(sup1_, req, &resp);
    EXPECT_TRUE(st.ok()) << st;
    return resp.programme();
  }
  absl::Status Drill(const CallContext& coach, const std::string& member, v1::DrillKind kind,
                     int need, int handle, v1::RecordDrillResponse* out = nullptr,
                     bool in_programme = true) {
    v1::RecordDrillRequest req;
    auto* d = req.mutable_drill();
    d->set_member("members/" + member);
    d->set_kind(kind);
    d->set_scenario(v1::SCRIPT_SCENARIO_OBJECTION_HANDLING);
    if (in_programme) {
      d->set_programme("trainingProgrammes/ka-bootcamp");
      d->set_module_id("objections");
    }
    d->set_script("scripts/price");
    auto* a = d->add_criteria();
    a->set_criterion("需求挖掘");
    a->set_score_basis_points(need);
    auto* b = d->add_criteria();
    b->set_criterion("异议处理");
    b->set_score_basis_points(handle);
    v1::RecordDrillResponse resp;
    absl::Status s = api_.RecordDrill(coach, req, &resp);
    if (out != nullptr) {
      *out = resp;
    }
    return s;
  }
};

TEST_F(CoachingApiTest, VersionsMoveThroughReviewAndRepsSeeOnlyPublished) {
  v1::SalesScript s = Create("price", v1::SCRIPT_SCENARIO_OBJECTION_HANDLING);
  EXPECT_EQ(s.versions(0).state(), v1::SCRIPT_VERSION_STATE_DRAFT);
  EXPECT_EQ(s.current_version(), 0);
  v1::GetSalesScriptRequest get;
  get.set_name("scripts/price");
  v1::GetSalesScriptResponse resp;
  EXPECT_EQ(api_.GetSalesScript(rep1_, get, &resp).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorReason(Move("price", 1, v1::SCRIPT_VERSION_STATE_PUBLISHED)),
            "SCRIPT_VERSION_TRANSITION");
  Publish("price", 1);
  EXPECT_EQ(CountEvents("salesops.performance.v1.SalesScriptPublished"), 1);
  v1::SalesScript seen = Get(rep1_, "price");
  EXPECT_EQ(seen.current_version(), 1);
  EXPECT_EQ(seen.cycle_stage(), v1::SCRIPT_CYCLE_STAGE_CATALOGUED);
  // A second version: a draft reps do not see until it is published.
  v1::AddScriptVersionRequest add;
  add.set_script("scripts/price");
  add.set_body("1. 认同 2. 提问 3. 拆解价值");
  v1::AddScriptVersionResponse added;
  ASSERT_TRUE(api_.AddScriptVersion(sup1_, add, &added).ok());
  EXPECT_EQ(added.script().versions(0).version(), 2);  // newest first
  EXPECT_EQ(Get(rep1_, "price").versions_size(), 1);
  EXPECT_EQ(Get(sup1_, "price").versions_size(), 2);
  Publish("price", 2);
  EXPECT_EQ(Get(rep1_, "price").current_version(), 2);
  // Retiring the current version hands over to the newest published one.
  v1::SalesScript after;
  ASSERT_TRUE(Move("price", 2, v1::SCRIPT_VERSION_STATE_RETIRED, &after).ok());
  EXPECT_EQ(after.current_version(), 1);
  EXPECT_EQ(ErrorReason(Move("price", 2, v1::SCRIPT_VERSION_STATE_PUBLISHED)),
            "SCRIPT_VERSION_TRANSITION");
}

TEST_F(CoachingApiTest, WinRatePerVersionFollowsDealOutcomesWithAWilsonInterval) {
  Create("price", v1::SCRIPT_SCENARIO_OBJECTION_HANDLING);
  Publish("price", 1);
  std::vector<CloudEvent> created;
  for (int i = 0; i < 6; ++i) {
    created.push_back(Created("opp-u" + std::to_string(i), "rep-1", "team-east-1"));
  }
  Deliver(created);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Use(rep1_, "price", "opp-u" + std::to_string(i)).ok());
  }
  EXPECT_TRUE(Use(rep1_, "price", "opp-u0").ok());  // once per deal and version
  // Someone else's deal.
  EXPECT_EQ(Use(rep2_, "price", "opp-u0").code(), absl::StatusCode::kPermissionDenied);
  std::vector<CloudEvent> closed;
  const absl::CivilDay d(2026, 11, 20);
  for (int i = 0; i < 3; ++i) {
    closed.push_back(Won("won-u" + std::to_string(i), "opp-u" + std::to_string(i), "rep-1",
                         "team-east-1", 100'000'00, d));
  }
  closed.push_back(LostDeal("opp-u3", "rep-1", "team-east-1", 100'000'00, "价格"));
  closed.push_back(LostDeal("opp-u4", "rep-1", "team-east-1", 100'000'00, "价格"));
  Deliver(closed);
  v1::SalesScript s = Get(sup1_, "price");
  ASSERT_EQ(s.versions_size(), 1);
  EXPECT_EQ(s.versions(0).use_count(), 5);
  EXPECT_EQ(s.versions(0).closed_use_count(), 5);
  EXPECT_EQ(s.versions(0).won_use_count(), 3);
  EXPECT_EQ(s.versions(0).win_rate_basis_points(), 6000);
  EXPECT_EQ(s.versions(0).win_rate_low_basis_points(), 2307);  // Wilson 3/5
  EXPECT_EQ(s.versions(0).win_rate_high_basis_points(), 8824);
  // A use recorded after its deal closed counts at once.
  Deliver({Won("won-u5", "opp-u5", "rep-1", "team-east-1", 100'000'00, d)});
  ASSERT_TRUE(Use(rep1_, "price", "opp-u5").ok());
  s = Get(sup1_, "price");
  EXPECT_EQ(s.closed_use_count(), 6);
  EXPECT_EQ(s.won_use_count(), 4);
  EXPECT_EQ(s.win_rate_low_basis_points(), 2999);  // Wilson 4/6
  // Redelivered closing events count nothing twice.
  Deliver(closed);
  EXPECT_EQ(Get(sup1_, "price").closed_use_count(), 6);
}

TEST_F(CoachingApiTest, RetiredAndDraftVersionsCannotBeUsedOrSuggested) {
  Create("price", v1::SCRIPT_SCENARIO_OBJECTION_HANDLING);
  Deliver({Created("opp-u1", "rep-1", "team-east-1")});
  EXPECT_EQ(ErrorReason(Use(rep1_, "price", "opp-u1", 1)), "SCRIPT_VERSION_NOT_PUBLISHED");
  Publish("price", 1);
  EXPECT_EQ(*api_.BestScriptFor("OBJECTION_HANDLING"), "scripts/price");
  ASSERT_TRUE(Move("price", 1, v1::SCRIPT_VERSION_STATE_RETIRED).ok());
  EXPECT_EQ(ErrorReason(Use(rep1_, "price", "opp-u1", 1)), "SCRIPT_VERSION_RETIRED");
  EXPECT_EQ(*api_.BestScriptFor("OBJECTION_HANDLING"), "");
}

TEST_F(CoachingApiTest, CompareTwoVersions) {
  Create("price", v1::SCRIPT_SCENARIO_OBJECTION_HANDLING);
  Publish("price", 1);
  v1::AddScriptVersionRequest add;
  add.set_script("scripts/price");
  add.set_body("v2");
  v1::AddScriptVersionResponse added;
  ASSERT_TRUE(api_.AddScriptVersion(sup1_, add, &added).ok());
  v1::CompareScriptVersionsRequest req;
  req.set_script("scripts/price");
  req.set_version_a(1);
  req.set_version_b(2);
  v1::CompareScriptVersionsResponse resp;
  ASSERT_TRUE(api_.CompareScriptVersions(sup1_, req, &resp).ok());
  EXPECT_FALSE(resp.significant());
  EXPECT_THAT(resp.verdict(), HasSubstr("样本不足"));
  req.set_version_b(1);
  EXPECT_EQ(FieldViolations(api_.CompareScriptVersions(sup1_, req, &resp))[0].field, "version_b");
}

TEST_F(CoachingApiTest, OneRatingPerMemberReRatingReplaces) {
  Create("price", v1::SCRIPT_SCENARIO_OBJECTION_HANDLING);
  Publish("price", 1);
  auto rate = [&](const CallContext& who, int stars) {
    v1::RateSalesScriptRequest req;
    req.set_script("scripts/price");
    req.set_stars(stars);
    v1::RateSalesScriptResponse resp;
    EXPECT_TRUE(api_.RateSalesScript(who, req, &resp).ok());
    return resp.script();
  };
  rate(rep1_, 4);
  v1::SalesScript s = rate(rep1_, 2);
  EXPECT_EQ(s.rating_count(), 1);
  EXPECT_EQ(s.rating_sum(), 2);
  s = rate(rep2_, 5);
  EXPECT_EQ(s.rating_count(), 2);
  EXPECT_EQ(s.rating_sum(), 7);
  v1::RateSalesScriptRequest bad;
  bad.set_script("scripts/price");
  bad.set_stars(6);
  v1::RateSalesScriptResponse resp;
  EXPECT_EQ(FieldViolations(api_.RateSalesScript(rep1_, bad, &resp))[0].field, "stars");
}

TEST_F(CoachingApiTest, RubricScoredDrillsCompleteTheEnrolment) {
  Create("price", v1::SCRIPT_SCENARIO_OBJECTION_HANDLING);
  Publish("price", 1);
  Programme();
  EXPECT_EQ(Get(sup1_, "price").cycle_stage(), v1::SCRIPT_CYCLE_STAGE_TRAINING);
  // Not enrolled yet.
  EXPECT_EQ(ErrorReason(Drill(sup1_, "rep-1", v1::DRILL_KIND_ROLE_PLAY, 8000, 8000)),
            "NOT_ENROLLED");
  v1::EnrolMemberRequest enrol;
  enrol.set_programme("trainingProgrammes/ka-bootcamp");
  enrol.set_member("members/rep-1");
  v1::EnrolMemberResponse enrolled;
  EXPECT_EQ(api_.EnrolMember(rep2_, enrol, &enrolled).code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(api_.EnrolMember(rep1_, enrol, &enrolled).ok());  // a rep enrols themself
  EXPECT_EQ(ErrorReason(api_.EnrolMember(sup1_, enrol, &enrolled)), "ENROLMENT_EXISTS");
  // Attendance.
  v1::RecordAttendanceRequest att;
  att.set_enrolment("trainingProgrammes/ka-bootcamp/enrolments/rep-1");
  att.set_session_id("s1");
  att.set_attended(true);
  v1::RecordAttendanceResponse attended;
  ASSERT_TRUE(api_.RecordAttendance(sup1_, att, &attended).ok());
  EXPECT_EQ(attended.enrolment().state(), v1::ENROLMENT_STATE_IN_PROGRESS);
  EXPECT_EQ(attended.enrolment().attended_session_ids(0), "s1");
  att.set_session_id("s9");
  EXPECT_EQ(FieldViolations(api_.RecordAttendance(sup1_, att, &attended))[0].field, "session_id");
  // 0.6 × 60 + 0.4 × 80 = 68: below the 70 pass mark.
  v1::RecordDrillResponse first;
  ASSERT_TRUE(Drill(sup1_, "rep-1", v1::DRILL_KIND_ROLE_PLAY, 6000, 8000, &first).ok());
  EXPECT_EQ(first.drill().score_basis_points(), 6800);
  EXPECT_FALSE(first.has_enrolment());
  // A day later a teammate plays the customer and scores: 0.6 × 80 + 0.4 × 75 = 78, passed.
  clock_.Set(ChinaNoon(2026, 11, 28));
  v1::RecordDrillResponse second;
  ASSERT_TRUE(Drill(rep2_, "rep-1", v1::DRILL_KIND_ROLE_PLAY, 8000, 7500, &second).ok());
  EXPECT_EQ(second.drill().score_basis_points(), 7800);
  ASSERT_TRUE(second.has_enrolment());
  EXPECT_EQ(second.enrolment().state(), v1::ENROLMENT_STATE_COMPLETED);
  EXPECT_EQ(second.enrolment().progress_basis_points(), 10000);
  EXPECT_EQ(second.enrolment().module_scores(0).best_score_basis_points(), 7800);
  EXPECT_EQ(CountEvents("salesops.performance.v1.EnrolmentCompleted"), 1);
  EXPECT_EQ(CountEvents("salesops.performance.v1.DrillRecorded"), 2);
  EXPECT_EQ(Get(sup1_, "price").cycle_stage(), v1::SCRIPT_CYCLE_STAGE_ASSESSED);
  EXPECT_EQ(Get(sup1_, "price").average_drill_score_basis_points(), 7300);
  // A peer may not score a written scenario, another team not at all, nobody themself.
  EXPECT_EQ(Drill(rep2_, "rep-1", v1::DRILL_KIND_SCENARIO, 1, 1).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Drill(supw_, "rep-1", v1::DRILL_KIND_ROLE_PLAY, 1, 1).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(FieldViolations(Drill(rep1_, "rep-1", v1::DRILL_KIND_ROLE_PLAY, 1, 1))[0].field,
            "drill.member");
  // Progress per criterion.
  v1::GetDrillProgressRequest pr;
  pr.set_member("members/rep-1");
  v1::GetDrillProgressResponse progress;
  ASSERT_TRUE(api_.GetDrillProgress(rep1_, pr, &progress).ok());
  EXPECT_EQ(progress.progress().drill_count(), 2);
  ASSERT_EQ(progress.progress().criteria_size(), 2);
  for (const auto& c : progress.progress().criteria()) {
    if (c.criterion() == "需求挖掘") {
      EXPECT_EQ(c.first_basis_points(), 6000);
      EXPECT_EQ(c.latest_basis_points(), 8000);
      EXPECT_EQ(c.change_basis_points(), 2000);
    }
  }
  EXPECT_EQ(api_.GetDrillProgress(rep2_, pr, &progress).code(),
            absl::StatusCode::kPermissionDenied);
  // Lists: a rep their own drills.
  v1::ListDrillsRequest ld;
  v1::ListDrillsResponse drills;
  ASSERT_TRUE(api_.ListDrills(rep1_, ld, &drills).ok());
  EXPECT_EQ(drills.drills_size(), 2);
  v1::ListDrillsResponse theirs;
  ASSERT_TRUE(api_.ListDrills(rep2_, ld, &theirs).ok());
  EXPECT_EQ(theirs.drills_size(), 0);
}

TEST_F(CoachingApiTest, ProgrammesValidateRubricsAndScripts) {
  v1::CreateTrainingProgrammeRequest req;
  auto* p = req.mutable_programme();
  p->set_title("x");
  auto* m = p->add_modules();
  m->set_module_id("m1");
  m->set_title("m");
  auto* c = m->add_rubric();
  c->set_criterion("a");
  c->set_weight_basis_points(5000);
  v1::CreateTrainingProgrammeResponse resp;
  EXPECT_EQ(FieldViolations(api_.CreateTrainingProgramme(sup1_, req, &resp))[0].field,
            "programme.modules[0].rubric");
  c->set_weight_basis_points(10000);
  m->add_scripts("scripts/nope");
  EXPECT_EQ(FieldViolations(api_.CreateTrainingProgramme(sup1_, req, &resp))[0].field,
            "programme.modules.scripts");
  p->clear_title();
  EXPECT_EQ(FieldViolations(api_.CreateTrainingProgramme(sup1_, req, &resp))[0].field,
            "programme.title");
}

TEST_F(CoachingApiTest, KeyAccountNegotiationsEnterTheSearchableCaseLibrary) {
  Deliver({LostDeal("big", "rep-1", "team-east-1", 800'000'00, "价格高于竞品15%"),
           LostDeal("small", "rep-1", "team-east-1", 20'000'00, "价格")});
  v1::ListNegotiationCasesRequest req;
  req.set_query("价格");
  v1::ListNegotiationCasesResponse resp;
  ASSERT_TRUE(api_.ListNegotiationCases(rep2_, req, &resp).ok());
  ASSERT_EQ(resp.cases_size(), 1);  // the small deal is not a key account
  const v1::NegotiationCase k = resp.cases(0);
  EXPECT_EQ(k.name(), "negotiationCases/big");
  EXPECT_EQ(k.outcome(), v1::NEGOTIATION_OUTCOME_LOST);
  EXPECT_EQ(k.lost_to_competitor(), "竞品B");
  EXPECT_EQ(k.from_stage(), "NEGOTIATION");
  // Lessons: the owner's supervisor may add one, another rep may not.
  v1::AnnotateNegotiationCaseRequest note;
  note.set_name(k.name());
  note.set_etag(k.etag());
  note.set_note("报价前没有确认采购的预算口径");
  v1::AnnotateNegotiationCaseResponse annotated;
  EXPECT_EQ(api_.AnnotateNegotiationCase(rep2_, note, &annotated).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(api_.AnnotateNegotiationCase(sup1_, note, &annotated).ok());
  EXPECT_EQ(annotated.case_().notes_size(), 1);
  EXPECT_EQ(ErrorReason(api_.AnnotateNegotiationCase(sup1_, note, &annotated)), "ETAG_MISMATCH");
  req.set_query("预算口径");
  v1::ListNegotiationCasesResponse by_note;
  ASSERT_TRUE(api_.ListNegotiationCases(rep2_, req, &by_note).ok());
  EXPECT_EQ(by_note.cases_size(), 1);
  req.set_query("");
  req.set_outcome(v1::NEGOTIATION_OUTCOME_WON);
  v1::ListNegotiationCasesResponse won;
  ASSERT_TRUE(api_.ListNegotiationCases(rep2_, req, &won).ok());
  EXPECT_EQ(won.cases_size(), 0);
}

TEST_F(CoachingApiTest, BadInputNamesTheField) {
  auto field_of = [](const absl::Status& s) {
    auto v = FieldViolations(s);
    return v.empty() ? std::string("<none: ") + s.ToString() + ">" : v[0].field;
  };
  v1::CreateSalesScriptRequest cs;
  v1::CreateSalesScriptResponse csr;
  EXPECT_EQ(field_of(api_.CreateSalesScript(sup1_, cs, &csr)), "script.title");
  cs.mutable_script()->set_title("t");
  EXPECT_EQ(field_of(api_.CreateSalesScript(sup1_, cs, &csr)), "script.scenario");
  cs.mutable_script()->set_scenario(v1::SCRIPT_SCENARIO_CLOSING);
  EXPECT_EQ(field_of(api_.CreateSalesScript(sup1_, cs, &csr)), "body");
  v1::RecordScriptUseRequest use;
  use.set_script("scripts/x");
  v1::RecordScriptUseResponse user;
  EXPECT_EQ(field_of(api_.RecordScriptUse(rep1_, use, &user)), "opportunity");
  v1::SetScriptVersionStateRequest st;
  st.set_script("scripts/x");
  v1::SetScriptVersionStateResponse str;
  EXPECT_EQ(field_of(api_.SetScriptVersionState(sup1_, st, &str)), "version");
  v1::EnrolMemberRequest en;
  v1::EnrolMemberResponse enr;
  EXPECT_EQ(field_of(api_.EnrolMember(sup1_, en, &enr)), "programme");
  v1::ListEnrolmentsRequest le;
  v1::ListEnrolmentsResponse ler;
  EXPECT_EQ(field_of(api_.ListEnrolments(sup1_, le, &ler)), "programme");
  v1::RecordDrillRequest rd;
  v1::RecordDrillResponse rdr;
  EXPECT_EQ(field_of(api_.RecordDrill(sup1_, rd, &rdr)), "drill.member");
  v1::RecordAttendanceRequest ra;
  v1::RecordAttendanceResponse rar;
  EXPECT_EQ(field_of(api_.RecordAttendance(sup1_, ra, &rar)), "session_id");
  v1::GetDrillProgressRequest gp;
  v1::GetDrillProgressResponse gpr;
  EXPECT_EQ(field_of(api_.GetDrillProgress(sup1_, gp, &gpr)), "member");
  v1::AnnotateNegotiationCaseRequest an;
  v1::AnnotateNegotiationCaseResponse anr;
  EXPECT_EQ(field_of(api_.AnnotateNegotiationCase(sup1_, an, &anr)), "name");
  v1::ListSalesScriptsRequest ls;
  ls.set_order_by("vibes");
  v1::ListSalesScriptsResponse lsr;
  EXPECT_EQ(field_of(api_.ListSalesScripts(sup1_, ls, &lsr)), "order_by");
}

}  // namespace
}  // namespace salesops::performance
