// The warning engine end to end, against real Redis and Kafka with the org,
// customers and targets services running, all on one business clock the test
// moves (--clock_offset_file): a plan is published and an opportunity
// created; when it stalls past the rule's days a WarningRaised reaches the
// team's supervisor; the supervisor acknowledges it and runs the
// strategy-adjustment workflow; advancing the deal resolves the warning; and
// delivering every event again raises nothing new.
#include <fstream>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/events/cloud_event.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/customers/v1/customers_service.grpc.pb.h"
#include "salesops/org/v1/org_service.grpc.pb.h"
#include "salesops/targets/v1/targets_service.grpc.pb.h"
#include "salesops/warning/v1/warning_events.pb.h"
#include "tests/integration/customers_env.h"
#include "tests/integration/targets_env.h"
#include "tests/integration/warning_env.h"

namespace salesops::testing {
namespace {

namespace cv1 = salesops::customers::v1;
namespace ov1 = salesops::org::v1;
namespace tv1 = salesops::targets::v1;
namespace wv1 = salesops::warning::v1;

constexpr char kWarningTopic[] = "salesops.warning.events.v1";
constexpr char kCustomersTopic[] = "salesops.customers.events.v1";
constexpr char kEngineDlq[] = "salesops.warning-engine.dlq.v1";

class WarningTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sfx_ = new std::string(UniqueSuffix());
    clock_file_ = new std::string(absl::StrCat(TestEnv::Get().tmp, "/clock-", *sfx_));
    SetClockOffset(absl::ZeroDuration());
    const std::string clock_flag = "--clock_offset_file=" + *clock_file_;
    org_ = new OrgServer();
    org_->Start();
    customers_ = new CustomersServer({clock_flag, "--customers_jobs_interval=0s"});
    customers_->Start();
    targets_ = new TargetsServer({clock_flag});
    targets_->Start();
    warning_ = new WarningServer({clock_flag});
    warning_->Start();
    auto unit = [](const std::string& id, ov1::OrgUnitKind kind, const std::string& parent) {
      CreateOrgUnit(*org_, id, kind, parent);
    };
    auto member = [](const std::string& id, ov1::Role role, const std::string& team) {
      CreateMember(*org_, id, role, team);
    };
    unit(Id("co"), ov1::ORG_UNIT_KIND_COMPANY, "");
    unit(Id("east"), ov1::ORG_UNIT_KIND_REGION, Id("co"));
    unit(Id("team"), ov1::ORG_UNIT_KIND_TEAM, Id("east"));
    unit(Id("team2"), ov1::ORG_UNIT_KIND_TEAM, Id("east"));
    unit(Id("pl"), ov1::ORG_UNIT_KIND_PRODUCT_LINE, Id("co"));
    member(Id("mgr"), ov1::ROLE_MANAGER, Id("east"));
    member(Id("sup"), ov1::ROLE_SUPERVISOR, Id("team"));
    member(Id("r1"), ov1::ROLE_REP, Id("team"));
    member(Id("r2"), ov1::ROLE_REP, Id("team"));
    member(Id("sup2"), ov1::ROLE_SUPERVISOR, Id("team2"));
    PublishPlan();
  }
  static void TearDownTestSuite() {
    delete warning_;
    delete targets_;
    delete customers_;
    delete org_;
    std::remove(clock_file_->c_str());
    delete clock_file_;
    delete sfx_;
  }
  static std::string Id(const std::string& base) { return base + "-" + *sfx_; }
  static void SetClockOffset(absl::Duration d) {
    const std::string tmp = *clock_file_ + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << absl::ToInt64Seconds(d) << "\n";
    }
    std::rename(tmp.c_str(), clock_file_->c_str());  // readers never see half a file
  }

  static std::string Admin() { return Token(Role::kAdmin, "admin", ""); }
  static std::string Director() { return Token(Role::kDirector, "dir", Id("co")); }
  static std::string Sup() { return Token(Role::kSupervisor, Id("sup"), Id("team")); }
  static std::string Sup2() { return Token(Role::kSupervisor, Id("sup2"), Id("team2")); }
  static std::string Mgr() { return Token(Role::kManager, Id("mgr"), Id("east")); }
  static std::string Rep(const std::string& r) { return Token(Role::kRep, Id(r), Id("team")); }

  template <typename Stub, typename Req, typename Resp, typename Fn>
  static grpc::Status Call(Stub& stub, const std::string& token, Fn fn, const Req& req,
                           Resp* resp) {
    grpc::ClientContext ctx;
    Authorize(ctx, token);
    return (stub.*fn)(&ctx, req, resp);
  }
  template <typename Req, typename Resp, typename Fn>
  static grpc::Status W(const std::string& token, Fn fn, const Req& req, Resp* resp) {
    return Call(warning_->stub(), token, fn, req, resp);
  }

  // A published plan for the current quarter: team → its two reps.
  static void PublishPlan() {
    auto& t = targets_->stub();
    const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
    const int q = (today.month() - 1) / 3 + 1;
    tv1::CreateFiscalPeriodRequest preq;
    auto* p = preq.mutable_fiscal_period();
    p->set_display_name(absl::StrCat(today.year(), "财年第", q, "季度"));
    p->set_kind(tv1::FISCAL_PERIOD_KIND_QUARTER);
    p->set_fiscal_year(static_cast<int>(today.year()));
    p->set_number(q);
    p->set_fiscal_year_start_month(1);
    preq.set_fiscal_period_id(Id("q"));
    tv1::CreateFiscalPeriodResponse presp;
    ASSERT_TRUE(
        Call(t, Admin(), &tv1::TargetsService::Stub::CreateFiscalPeriod, preq, &presp).ok());
    tv1::CreatePlanRequest req;
    req.mutable_plan()->set_display_name("季度目标");
    req.mutable_plan()->set_period("fiscalPeriods/" + Id("q"));
    req.mutable_plan()->set_scope("orgUnits/" + Id("co"));
    req.mutable_plan()->mutable_total()->set_amount_minor(10'000'000'00);
    req.mutable_plan()->mutable_total()->set_currency_code("CNY");
    req.mutable_plan()->set_attainment_basis(tv1::ATTAINMENT_BASIS_BOOKING);
    req.set_plan_id(Id("plan"));
    tv1::CreatePlanResponse plan;
    grpc::Status s;
    for (int i = 0; i < 100; ++i) {
      s = Call(t, Director(), &tv1::TargetsService::Stub::CreatePlan, req, &plan);
      if (s.ok() || ErrorReasonOf(s) != "ORG_UNIT_NOT_FOUND") {
        break;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
    ASSERT_TRUE(s.ok()) << s.error_message();
    auto allocate = [&](const std::string& token, const std::string& parent,
                        tv1::AllocationAxis axis, const std::vector<std::string>& keys,
                        tv1::AllocatePlanResponse* out) {
      tv1::AllocatePlanRequest a;
      a.set_plan(plan.plan().name());
      a.set_parent_cell(parent);
      a.set_axis(axis);
      a.set_method(tv1::ALLOCATION_METHOD_EQUAL);
      for (const std::string& k : keys) {
        a.add_inputs()->set_key(k);
      }
      grpc::Status st;
      for (int i = 0; i < 100; ++i) {
        st = Call(t, token, &tv1::TargetsService::Stub::AllocatePlan, a, out);
        // Until the targets service's directory has the units (INVALID_ARGUMENT) and
        // the team's members (TEAM_HAS_NO_MEMBERS) from org's events.
        if (st.ok() || (st.error_code() != grpc::StatusCode::INVALID_ARGUMENT &&
                        ErrorReasonOf(st) != "TEAM_HAS_NO_MEMBERS")) {
          break;
        }
        absl::SleepFor(absl::Milliseconds(200));
      }
      EXPECT_TRUE(st.ok()) << st.error_message();
    };
    tv1::AllocatePlanResponse pl, team, reps;
    allocate(Director(), "", tv1::ALLOCATION_AXIS_PRODUCT_LINE, {"orgUnits/" + Id("pl")}, &pl);
    ASSERT_EQ(pl.cells_size(), 1);
    allocate(Director(), pl.cells(0).name(), tv1::ALLOCATION_AXIS_TEAM, {"orgUnits/" + Id("team")},
             &team);
    ASSERT_EQ(team.cells_size(), 1);
    allocate(Sup(), team.cells(0).name(), tv1::ALLOCATION_AXIS_REP,
             {"members/" + Id("r1"), "members/" + Id("r2")}, &reps);
    ASSERT_EQ(reps.cells_size(), 2);
    tv1::PublishPlanRequest pub;
    pub.set_name(plan.plan().name());
    tv1::PublishPlanResponse pubr;
    ASSERT_TRUE(Call(t, Director(), &tv1::TargetsService::Stub::PublishPlan, pub, &pubr).ok());
  }

  static absl::CivilDay QuarterStart() {
    const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
    return absl::CivilDay(today.year(), (today.month() - 1) / 3 * 3 + 1, 1);
  }

  cv1::Customer NewCustomer(const std::string& id, const std::string& owner) {
    cv1::CreateCustomerRequest req;
    req.set_customer_id(id);
    req.mutable_customer()->set_display_name("华东精密制造" + id);
    req.mutable_customer()->set_tax_id("91310000" + id.substr(id.size() - 8));
    req.mutable_customer()->set_customer_type("enterprise");
    req.mutable_customer()->mutable_tags()->set_industry("manufacturing");
    req.mutable_customer()->set_owner("members/" + owner);
    cv1::CreateCustomerResponse resp;
    grpc::Status s;
    for (int i = 0; i < 100; ++i) {  // until the customers service knows the org
      s = Call(customers_->stub(), Rep("r1"), &cv1::CustomersService::Stub::CreateCustomer, req,
               &resp);
      if (s.ok()) {
        break;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.customer();
  }

  // Barrier: the engine has handled every customers record with `key`
  // published so far. A poison record with the same key (same partition,
  // handled after them) reaches the engine's dead-letter topic.
  static void EngineCaughtUpWith(const std::string& key) {
    const TestEnv& env = TestEnv::Get();
    TopicReader dlq(env.kafka_bootstrap, kEngineDlq);
    const std::string id = "barrier-" + UniqueSuffix();
    ASSERT_TRUE(ProduceRaw(env.kafka_bootstrap, kCustomersTopic, key, "not protobuf",
                           {{"ce_specversion", "1.0"},
                            {"ce_id", id},
                            {"ce_source", "/salesops/customers"},
                            {"ce_type", "salesops.customers.v1.OpportunityCreated"},
                            {"ce_time", "2026-11-27T00:00:00Z"},
                            {"content-type", "application/protobuf"}})
                    .ok());
    std::vector<Record> dead = dlq.ReadUntil(
        [&](const Record& r) {
          auto it = r.headers.find("ce_id");
          return it != r.headers.end() && it->second == id;
        },
        1, absl::Seconds(60));
    ASSERT_EQ(dead.size(), 1u) << warning_->Logs();
  }
  // Barrier: the warning scheduler has completed a run that began after this
  // call (the clock offset set before it is in force: the runs are 200 ms
  // apart, the offset file is re-read every 100 ms). Two more completed runs:
  // the first may have begun before.
  static void SchedulerRanSinceNow() {
    const std::string series = "salesops_job_runs_total{job=\"due\",service=\"warning\"}";
    const double start = MetricValue(warning_->metrics_port(), series);
    ASSERT_GE(start, 0) << "no " << series;
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (MetricValue(warning_->metrics_port(), series) < start + 2) {
      ASSERT_LT(absl::Now(), deadline) << "the scheduler stopped running";
      absl::SleepFor(absl::Milliseconds(50));  // polling a barrier
    }
  }

  static inline std::string* sfx_ = nullptr;
  static inline std::string* clock_file_ = nullptr;
  static inline OrgServer* org_ = nullptr;
  static inline CustomersServer* customers_ = nullptr;
  static inline TargetsServer* targets_ = nullptr;
  static inline WarningServer* warning_ = nullptr;
};

template <typename M>
bool Decode(const Record& r, const std::string& type, M* out) {
  return EventType(r) == type && out->ParseFromString(r.value);
}

TEST_F(WarningTest, AStalledDealWarnsItsSupervisorAndResolvesWhenItMovesExactlyOnce) {
  const TestEnv& env = TestEnv::Get();
  // The business clock moves a month on below: back to today whatever fails,
  // so the next test (in any order) starts in this quarter.
  absl::Cleanup today = [] { SetClockOffset(absl::ZeroDuration()); };
  TopicReader warnings(env.kafka_bootstrap, kWarningTopic);
  TopicReader customer_events(env.kafka_bootstrap, kCustomersTopic);
  TopicReader published(env.kafka_bootstrap, kCustomersTopic);

  // A poison record first: the engine must go past it.
  ASSERT_TRUE(ProduceRaw(env.kafka_bootstrap, kCustomersTopic, "poison", "not protobuf",
                         {{"ce_specversion", "1.0"},
                          {"ce_id", "poison-" + *sfx_},
                          {"ce_source", "/salesops/customers"},
                          {"ce_type", "salesops.customers.v1.OpportunityCreated"},
                          {"ce_time", "2026-11-27T00:00:00Z"},
                          {"content-type", "application/protobuf"}})
                  .ok());

  cv1::Customer customer = NewCustomer(Id("cust"), Id("r1"));
  cv1::CreateOpportunityRequest oreq;
  oreq.mutable_opportunity()->set_customer(customer.name());
  oreq.mutable_opportunity()->set_display_name("年度采购项目");
  oreq.mutable_opportunity()->mutable_amount()->set_amount_minor(1'200'000'00);
  oreq.mutable_opportunity()->mutable_amount()->set_currency_code("CNY");
  oreq.mutable_opportunity()->set_product_line("orgUnits/" + Id("pl"));
  oreq.mutable_opportunity()->set_channel("direct");
  cv1::CreateOpportunityResponse opp;
  ASSERT_TRUE(Call(customers_->stub(), Rep("r1"), &cv1::CustomersService::Stub::CreateOpportunity,
                   oreq, &opp)
                  .ok());
  ASSERT_EQ(opp.opportunity().stage(), cv1::OPPORTUNITY_STAGE_LEAD);
  const std::string subject = opp.opportunity().name();

  // Fresh: nothing to warn about, once the engine has seen the deal. The deal's
  // event reaches Kafka through the customers relay, the barrier straight from
  // here: it goes on the topic only after the event, or it can overtake it (the
  // engine then evaluates the deal only once the clock below has moved on, and
  // raises its warning from the event instead of the scheduler).
  ASSERT_EQ(published
                .ReadUntil(
                    [&](const Record& rec) {
                      return rec.key == Id("cust") &&
                             EventType(rec) == "salesops.customers.v1.OpportunityCreated";
                    },
                    1, absl::Seconds(30))
                .size(),
            1u);
  ASSERT_NO_FATAL_FAILURE(EngineCaughtUpWith(Id("cust")));
  wv1::ListWarningsRequest by_subject;
  by_subject.set_subject(subject);
  by_subject.add_states(wv1::WARNING_STATE_OPEN);
  by_subject.add_states(wv1::WARNING_STATE_ACKNOWLEDGED);
  by_subject.add_states(wv1::WARNING_STATE_RESOLVED);
  wv1::ListWarningsResponse listed;
  ASSERT_TRUE(W(Admin(), &wv1::WarningService::Stub::ListWarnings, by_subject, &listed).ok());
  EXPECT_EQ(listed.warnings_size(), 0);

  // 29 days on: still within the lead stage's 30 days, after a scheduler run.
  SetClockOffset(absl::Hours(24 * 29));
  ASSERT_NO_FATAL_FAILURE(SchedulerRanSinceNow());
  ASSERT_TRUE(W(Admin(), &wv1::WarningService::Stub::ListWarnings, by_subject, &listed).ok());
  EXPECT_EQ(listed.warnings_size(), 0);
  auto raised_for = [&](const Record& r) {
    wv1::WarningRaised e;
    return Decode(r, "salesops.warning.v1.WarningRaised", &e) && e.warning().subject() == subject;
  };
  // 31 days on: the scheduler finds the deal stalled.
  const absl::Time before_raise = absl::Now() + absl::Hours(24 * 31);
  SetClockOffset(absl::Hours(24 * 31));
  std::vector<Record> raised = warnings.ReadUntil(raised_for, 1, absl::Seconds(30));
  ASSERT_EQ(raised.size(), 1u) << warning_->Logs();
  wv1::WarningRaised r;
  ASSERT_TRUE(r.ParseFromString(raised[0].value));
  const wv1::Warning& w = r.warning();
  EXPECT_EQ(w.rule(), "rules/opportunity-stalled-lead");
  EXPECT_EQ(w.condition(), wv1::CONDITION_KIND_OPPORTUNITY_STALLED);
  EXPECT_EQ(w.state(), wv1::WARNING_STATE_OPEN);
  EXPECT_EQ(w.responsible_supervisor(), "members/" + Id("sup"))
      << "routed to the team's supervisor";
  EXPECT_EQ(w.rep(), "members/" + Id("r1"));
  EXPECT_EQ(w.org_unit(), "orgUnits/" + Id("team"));
  EXPECT_THAT(w.message().zh(), ::testing::HasSubstr("31"));
  EXPECT_THAT(w.message().en(), ::testing::HasSubstr("31"));
  EXPECT_TRUE(r.cause_event_id().empty()) << "found by the scheduler, not by an event";
  EXPECT_GE(absl::FromUnixSeconds(w.raise_time().seconds()), before_raise - absl::Minutes(1))
      << "raised on the business clock";

  // Who sees it: the supervisor, the region's manager and the rep; not
  // another team's supervisor or a colleague.
  wv1::ListWarningsRequest mine;
  mine.set_subject(subject);
  for (const std::string& token : {Sup(), Mgr(), Rep("r1"), Director()}) {
    wv1::ListWarningsResponse got;
    ASSERT_TRUE(W(token, &wv1::WarningService::Stub::ListWarnings, mine, &got).ok());
    ASSERT_EQ(got.warnings_size(), 1);
    EXPECT_EQ(got.warnings(0).name(), w.name());
  }
  for (const std::string& token : {Sup2(), Rep("r2")}) {
    wv1::ListWarningsResponse got;
    ASSERT_TRUE(W(token, &wv1::WarningService::Stub::ListWarnings, mine, &got).ok());
    EXPECT_EQ(got.warnings_size(), 0);
  }
  wv1::GetWarningRequest get;
  get.set_name(w.name());
  wv1::GetWarningResponse got;
  EXPECT_EQ(W(Sup2(), &wv1::WarningService::Stub::GetWarning, get, &got).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Filtering by severity and paging: a page of one with the supervisor's scope.
  wv1::ListWarningsRequest page;
  page.set_page_size(1);
  page.set_min_severity(wv1::SEVERITY_CRITICAL);
  wv1::ListWarningsResponse paged;
  ASSERT_TRUE(W(Sup(), &wv1::WarningService::Stub::ListWarnings, page, &paged).ok());
  for (const auto& pw : paged.warnings()) {
    EXPECT_EQ(pw.severity(), wv1::SEVERITY_CRITICAL);
  }
  page.set_page_size(-1);
  grpc::Status bad = W(Sup(), &wv1::WarningService::Stub::ListWarnings, page, &paged);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFieldOf(bad), "page_size");
  get.set_name("bogus");
  bad = W(Sup(), &wv1::WarningService::Stub::GetWarning, get, &got);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFieldOf(bad), "name");

  // Acknowledge: reps may not; the supervisor does.
  wv1::AcknowledgeWarningRequest ack;
  ack.set_name(w.name());
  ack.set_note("本周内安排客户拜访");
  wv1::AcknowledgeWarningResponse acked;
  EXPECT_EQ(W(Rep("r1"), &wv1::WarningService::Stub::AcknowledgeWarning, ack, &acked).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(W(Sup2(), &wv1::WarningService::Stub::AcknowledgeWarning, ack, &acked).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(W(Sup(), &wv1::WarningService::Stub::AcknowledgeWarning, ack, &acked).ok());
  EXPECT_EQ(acked.warning().state(), wv1::WARNING_STATE_ACKNOWLEDGED);
  EXPECT_EQ(acked.warning().acknowledged_by(), "members/" + Id("sup"));

  // The strategy-adjustment workflow on it.
  wv1::CreateProposalRequest cp;
  cp.mutable_proposal()->set_title("重启停滞商机");
  cp.mutable_proposal()->set_description("安排高层拜访，重新确认预算");
  cp.mutable_proposal()->add_warnings(w.name());
  cp.set_request_id("p1");
  wv1::CreateProposalResponse proposal;
  EXPECT_EQ(W(Rep("r1"), &wv1::WarningService::Stub::CreateProposal, cp, &proposal).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(W(Sup(), &wv1::WarningService::Stub::CreateProposal, cp, &proposal).ok());
  const std::string pname = proposal.proposal().name();
  wv1::CreateProposalResponse again;
  ASSERT_TRUE(W(Sup(), &wv1::WarningService::Stub::CreateProposal, cp, &again).ok());
  EXPECT_EQ(again.proposal().name(), pname) << "a retried request_id opens nothing new";
  wv1::CommentOnProposalRequest comment;
  comment.set_proposal(pname);
  comment.set_text("客户预算冻结到下月，建议先做技术交流");
  comment.set_request_id("c1");
  wv1::CommentOnProposalResponse commented;
  ASSERT_TRUE(
      W(Rep("r1"), &wv1::WarningService::Stub::CommentOnProposal, comment, &commented).ok());
  ASSERT_TRUE(
      W(Rep("r1"), &wv1::WarningService::Stub::CommentOnProposal, comment, &commented).ok());
  EXPECT_EQ(commented.proposal().comments_size(), 1) << "a retried comment is added once";
  wv1::VoteOnProposalRequest vote;
  vote.set_proposal(pname);
  vote.set_choice(wv1::VOTE_CHOICE_FOR);
  wv1::VoteOnProposalResponse voted;
  ASSERT_TRUE(W(Rep("r1"), &wv1::WarningService::Stub::VoteOnProposal, vote, &voted).ok());
  vote.set_choice(wv1::VOTE_CHOICE_AGAINST);
  ASSERT_TRUE(W(Rep("r2"), &wv1::WarningService::Stub::VoteOnProposal, vote, &voted).ok());
  EXPECT_EQ(voted.proposal().tally().for_count(), 1);
  EXPECT_EQ(voted.proposal().tally().against_count(), 1);
  EXPECT_EQ(W(Token(Role::kRep, "outsider", Id("team2")),
              &wv1::WarningService::Stub::VoteOnProposal, vote, &voted)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  wv1::DecideProposalRequest decide;
  decide.set_proposal(pname);
  decide.set_etag(voted.proposal().etag());
  decide.set_outcome(wv1::DECISION_OUTCOME_APPROVED);
  decide.set_rationale("先技术交流，下月推进报价");
  auto* action = decide.add_actions();
  action->set_description("安排技术交流会");
  action->set_owner("members/" + Id("r1"));
  const absl::CivilDay due =
      absl::ToCivilDay(absl::Now() + absl::Hours(24 * 40), absl::FixedTimeZone(8 * 3600));
  action->mutable_due_date()->set_year(static_cast<int>(due.year()));
  action->mutable_due_date()->set_month(due.month());
  action->mutable_due_date()->set_day(due.day());
  wv1::DecideProposalResponse decided;
  EXPECT_EQ(W(Rep("r1"), &wv1::WarningService::Stub::DecideProposal, decide, &decided).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status ds = W(Sup(), &wv1::WarningService::Stub::DecideProposal, decide, &decided);
  ASSERT_TRUE(ds.ok()) << ds.error_message();
  ASSERT_EQ(decided.proposal().state(), wv1::PROPOSAL_STATE_DECIDED);
  ASSERT_EQ(decided.proposal().actions_size(), 1);
  // A follow-up added later with a request_id: a retry returns the same
  // action; the same request_id on another proposal answers REQUEST_ID_REUSED
  // (security review, finding 1), not that proposal's action of the same id.
  wv1::AddActionRequest add;
  add.set_proposal(pname);
  add.set_request_id("act-1");
  add.mutable_action()->set_description("准备报价方案");
  add.mutable_action()->set_owner("members/" + Id("r1"));
  *add.mutable_action()->mutable_due_date() = action->due_date();
  wv1::AddActionResponse added, added_again;
  ASSERT_TRUE(W(Sup(), &wv1::WarningService::Stub::AddAction, add, &added).ok());
  ASSERT_TRUE(W(Sup(), &wv1::WarningService::Stub::AddAction, add, &added_again).ok());
  EXPECT_EQ(added_again.action().action_id(), added.action().action_id());
  EXPECT_EQ(added_again.proposal().actions_size(), 2);
  wv1::CreateProposalRequest cp2 = cp;
  cp2.set_request_id("p2");
  cp2.mutable_proposal()->set_title("备选方案");
  wv1::CreateProposalResponse proposal2;
  ASSERT_TRUE(W(Sup(), &wv1::WarningService::Stub::CreateProposal, cp2, &proposal2).ok());
  add.set_proposal(proposal2.proposal().name());
  wv1::AddActionResponse crossed;
  grpc::Status cs = W(Sup(), &wv1::WarningService::Stub::AddAction, add, &crossed);
  EXPECT_EQ(ErrorReasonOf(cs), "REQUEST_ID_REUSED") << cs.error_message();
  EXPECT_FALSE(crossed.has_action());
  wv1::UpdateActionRequest extra_done;
  extra_done.set_proposal(pname);
  extra_done.set_action_id(added.action().action_id());
  extra_done.mutable_action()->set_status(wv1::ACTION_STATUS_DONE);
  extra_done.mutable_update_mask()->add_paths("status");
  wv1::UpdateActionResponse extra_updated;
  ASSERT_TRUE(
      W(Rep("r1"), &wv1::WarningService::Stub::UpdateAction, extra_done, &extra_updated).ok());
  wv1::UpdateActionRequest done;
  done.set_proposal(pname);
  done.set_action_id(decided.proposal().actions(0).action_id());
  done.mutable_action()->set_status(wv1::ACTION_STATUS_DONE);
  done.mutable_update_mask()->add_paths("status");
  wv1::UpdateActionResponse updated;
  EXPECT_EQ(W(Rep("r2"), &wv1::WarningService::Stub::UpdateAction, done, &updated).error_code(),
            grpc::StatusCode::PERMISSION_DENIED)
      << "only the action's owner (or the supervisor)";
  ASSERT_TRUE(W(Rep("r1"), &wv1::WarningService::Stub::UpdateAction, done, &updated).ok());
  EXPECT_EQ(updated.proposal().state(), wv1::PROPOSAL_STATE_CLOSED);
  // Every step is an event.
  // (The proposal's own events, in order: they share its key.)
  std::vector<std::string> want = {"ProposalOpened", "ProposalCommented", "ProposalVoted",
                                   "ProposalVoted",  "ProposalDecided",   "ActionUpdated",
                                   "ActionUpdated",  "ActionUpdated"};
  std::vector<Record> steps = warnings.ReadUntil(
      [&](const Record& rec) {
        return (rec.headers.count("ce_subject") ? rec.headers.at("ce_subject") : "") == pname &&
               (absl::StartsWith(EventType(rec), "salesops.warning.v1.Proposal") ||
                EventType(rec) == "salesops.warning.v1.ActionUpdated");
      },
      want.size(), absl::Seconds(20));
  std::vector<std::string> got_types;
  for (const Record& rec : steps) {
    got_types.push_back(EventType(rec).substr(20));
  }
  EXPECT_EQ(got_types, want);

  // The deal moves on (on the same moved clock): the warning resolves, caused
  // by the stage change.
  cv1::ChangeOpportunityStageRequest stage;
  stage.set_name(subject);
  stage.set_stage(cv1::OPPORTUNITY_STAGE_QUALIFIED);
  stage.set_reason("客户确认预算");
  cv1::ChangeOpportunityStageResponse staged;
  grpc::Status ss = Call(customers_->stub(), Rep("r1"),
                         &cv1::CustomersService::Stub::ChangeOpportunityStage, stage, &staged);
  ASSERT_TRUE(ss.ok()) << ss.error_message();
  std::vector<Record> resolved = warnings.ReadUntil(
      [&](const Record& rec) {
        wv1::WarningResolved e;
        return Decode(rec, "salesops.warning.v1.WarningResolved", &e) &&
               e.warning().subject() == subject;
      },
      1, absl::Seconds(30));
  ASSERT_EQ(resolved.size(), 1u) << warning_->Logs();
  wv1::WarningResolved res;
  ASSERT_TRUE(res.ParseFromString(resolved[0].value));
  EXPECT_EQ(res.resolution(), wv1::WARNING_RESOLUTION_CONDITION_CLEARED);
  EXPECT_EQ(res.warning().name(), w.name());
  EXPECT_EQ(res.warning().state(), wv1::WARNING_STATE_RESOLVED);
  EXPECT_FALSE(res.cause_event_id().empty()) << "resolved by the OpportunityStageChanged event";

  // Deliver every event of this customer again (same ids): nothing new. All
  // of them precede an activity logged now (same key, same partition).
  cv1::LogActivityRequest la;
  la.mutable_activity()->set_customer(customer.name());
  la.mutable_activity()->set_kind(cv1::ACTIVITY_KIND_CALL);
  la.mutable_activity()->set_summary("跟进电话");
  cv1::LogActivityResponse logged;
  ASSERT_TRUE(
      Call(customers_->stub(), Rep("r1"), &cv1::CustomersService::Stub::LogActivity, la, &logged)
          .ok());
  std::vector<Record> history;
  ASSERT_EQ(customer_events
                .ReadUntil(
                    [&](const Record& rec) {
                      auto id = rec.headers.find("ce_id");
                      if (rec.key != Id("cust") || id == rec.headers.end() ||
                          absl::StartsWith(id->second, "barrier-")) {
                        return false;
                      }
                      history.push_back(rec);
                      return EventType(rec) == "salesops.customers.v1.ActivityLogged";
                    },
                    1, absl::Seconds(30))
                .size(),
            1u);
  ASSERT_GE(history.size(), 4u) << "created customer, created deal, stage change, activity";
  for (const Record& rec : history) {
    KafkaHeaders headers(rec.headers.begin(), rec.headers.end());
    ASSERT_TRUE(ProduceRaw(env.kafka_bootstrap, kCustomersTopic, rec.key, rec.value, headers).ok());
  }
  // And move time on again: the redelivered OpportunityCreated must not make
  // the deal look stalled since its creation.
  // Barriers: the engine has handled the copies, and the scheduler has run
  // on the new date since; the warnings kept (written with their events in
  // one transaction) then show any duplicate.
  SetClockOffset(absl::Hours(24 * 32));
  ASSERT_NO_FATAL_FAILURE(EngineCaughtUpWith(Id("cust")));
  ASSERT_NO_FATAL_FAILURE(SchedulerRanSinceNow());
  ASSERT_TRUE(W(Admin(), &wv1::WarningService::Stub::ListWarnings, by_subject, &listed).ok());
  ASSERT_EQ(listed.warnings_size(), 1) << "one warning per condition, ever";
  EXPECT_EQ(listed.warnings(0).state(), wv1::WARNING_STATE_RESOLVED);
  EXPECT_EQ(listed.warnings(0).proposals_size(), 2);
}

// Live attainment (targets' AttainmentUpdated after a won deal) feeds the
// period rules; a rule edited through the API re-evaluates what it covers.
TEST_F(WarningTest, PaceAndCoverageFollowLiveAttainmentAndRuleChangesResolve) {
  const TestEnv& env = TestEnv::Get();
  // At least 30 days into the quarter on the business clock: past the grace days.
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
  const int64_t behind = std::max<int64_t>(0, (QuarterStart() + 30) - today);
  absl::Cleanup back_to_today = [] { SetClockOffset(absl::ZeroDuration()); };
  SetClockOffset(absl::Hours(24 * behind));
  absl::SleepFor(absl::Milliseconds(300));
  TopicReader warnings(env.kafka_bootstrap, kWarningTopic);

  cv1::OpportunityWon won;
  won.set_opportunity("opportunities/" + Id("won"));
  won.set_customer("customers/" + Id("c-won"));
  won.set_owner("members/" + Id("r2"));
  won.set_team("orgUnits/" + Id("team"));
  won.set_region("orgUnits/" + Id("east"));
  won.set_product_line("orgUnits/" + Id("pl"));
  won.set_channel("direct");
  won.set_customer_type("enterprise");
  won.mutable_amount()->set_amount_minor(1'000'00);
  won.mutable_amount()->set_currency_code("CNY");
  const absl::CivilDay day = today + behind;
  won.mutable_won_date()->set_year(static_cast<int>(day.year()));
  won.mutable_won_date()->set_month(day.month());
  won.mutable_won_date()->set_day(day.day());
  CloudEvent e = MakeCloudEvent("/salesops/customers", Id("c-won"), won.opportunity(), won,
                                absl::Now() + absl::Hours(24 * behind));
  ASSERT_TRUE(
      ProduceRaw(env.kafka_bootstrap, kCustomersTopic, e.key, e.data, ToKafkaHeaders(e)).ok());

  const std::string r2 = "members/" + Id("r2");
  // Barrier: the targets service has counted the deal (its AttainmentUpdated
  // is what the period rules evaluate), however soon after start-up this runs.
  tv1::GetAttainmentRequest att_req;
  att_req.set_plan("plans/" + Id("plan"));
  att_req.set_subject(r2);
  tv1::GetAttainmentResponse att;
  for (int i = 0; i < 300 && att.attainment().actual().amount_minor() == 0; ++i) {
    grpc::Status as =
        Call(targets_->stub(), Admin(), &tv1::TargetsService::Stub::GetAttainment, att_req, &att);
    if (!as.ok() || att.attainment().actual().amount_minor() == 0) {
      absl::SleepFor(absl::Milliseconds(200));
    }
  }
  ASSERT_EQ(att.attainment().actual().amount_minor(), 1'000'00) << targets_->Logs();
  auto raised = [&](const std::string& rule, const std::string& subject) {
    return [rule, subject](const Record& rec) {
      wv1::WarningRaised w;
      return Decode(rec, "salesops.warning.v1.WarningRaised", &w) && w.warning().rule() == rule &&
             w.warning().subject() == subject;
    };
  };
  // Both open for r2 (no open deals of r2: no coverage either). Raised by
  // targets' AttainmentUpdated, at the plan's publication (r2 had booked
  // nothing) or for the deal above, whichever came first for this engine:
  // the test reads the warnings kept, not which event raised them.
  auto open_for_r2 = [&](const std::string& rule) -> std::optional<wv1::Warning> {
    wv1::ListWarningsRequest req;
    req.set_rep(r2);
    req.add_states(wv1::WARNING_STATE_OPEN);
    req.set_page_size(100);
    wv1::ListWarningsResponse resp;
    if (!W(Admin(), &wv1::WarningService::Stub::ListWarnings, req, &resp).ok()) {
      return std::nullopt;
    }
    for (const wv1::Warning& w : resp.warnings()) {
      if (w.rule() == rule && w.subject() == r2) {
        return w;
      }
    }
    return std::nullopt;
  };
  std::optional<wv1::Warning> pace, coverage;
  for (int i = 0; i < 300 && !(pace && coverage); ++i) {
    pace = open_for_r2("rules/pace-below-plan");
    coverage = open_for_r2("rules/pipeline-coverage-low");
    if (!(pace && coverage)) {
      absl::SleepFor(absl::Milliseconds(100));  // polling the engine's state
    }
  }
  ASSERT_TRUE(pace.has_value()) << warning_->Logs();
  ASSERT_TRUE(coverage.has_value()) << warning_->Logs();
  EXPECT_EQ(pace->period(), "fiscalPeriods/" + Id("q"));
  EXPECT_EQ(pace->responsible_supervisor(), "members/" + Id("sup"));
  EXPECT_EQ(pace->condition(), wv1::CONDITION_KIND_PACE_BELOW_PLAN);

  // Rules: leads read them, reps may not; a manager edits overrides in their
  // region only; bad rules name the field.
  wv1::GetRuleRequest get;
  get.set_name("rules/pace-below-plan");
  wv1::GetRuleResponse rule;
  EXPECT_EQ(W(Rep("r1"), &wv1::WarningService::Stub::GetRule, get, &rule).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(W(Sup(), &wv1::WarningService::Stub::GetRule, get, &rule).ok());
  wv1::ListRulesRequest list;
  list.set_page_size(100);
  wv1::ListRulesResponse rules;
  ASSERT_TRUE(W(Sup(), &wv1::WarningService::Stub::ListRules, list, &rules).ok());
  EXPECT_GE(rules.rules_size(), 10);
  wv1::UpdateRuleRequest upd;
  *upd.mutable_rule() = rule.rule();
  upd.mutable_update_mask()->add_paths("threshold");
  upd.mutable_rule()->mutable_threshold()->set_ratio_basis_points(5000);
  wv1::UpdateRuleResponse updated;
  grpc::Status us = W(Mgr(), &wv1::WarningService::Stub::UpdateRule, upd, &updated);
  EXPECT_EQ(us.error_code(), grpc::StatusCode::PERMISSION_DENIED) << "managers: overrides only";
  upd.mutable_update_mask()->Clear();
  upd.mutable_update_mask()->add_paths("overrides");
  *upd.mutable_rule() = rule.rule();
  auto* outside = upd.mutable_rule()->add_overrides();
  outside->set_org_unit("orgUnits/" + Id("co"));
  outside->set_disabled(true);
  us = W(Mgr(), &wv1::WarningService::Stub::UpdateRule, upd, &updated);
  EXPECT_EQ(us.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "the company is above the region";
  wv1::CreateRuleRequest bad;
  bad.mutable_rule()->set_display_name("大单停滞");
  bad.mutable_rule()->set_condition(wv1::CONDITION_KIND_OPPORTUNITY_STALLED);
  bad.mutable_rule()->set_severity(wv1::SEVERITY_CRITICAL);
  bad.mutable_rule()->set_enabled(true);
  bad.mutable_rule()->mutable_threshold()->set_days(-3);
  bad.mutable_rule()->mutable_message_template()->set_zh("{subject} 停滞");
  bad.mutable_rule()->mutable_message_template()->set_en("{subject} stalled");
  bad.set_rule_id(Id("big-stall"));
  wv1::CreateRuleResponse created;
  grpc::Status cs = W(Director(), &wv1::WarningService::Stub::CreateRule, bad, &created);
  EXPECT_EQ(cs.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFieldOf(cs), "rule.threshold.days");

  // The region's manager switches pace warnings off for the team: the open
  // one resolves as RULE_CHANGED (a re-evaluation of every subject).
  *upd.mutable_rule() = rule.rule();
  auto* off = upd.mutable_rule()->add_overrides();
  off->set_org_unit("orgUnits/" + Id("team"));
  off->set_disabled(true);
  upd.set_reason("团队本季度调整中");
  us = W(Mgr(), &wv1::WarningService::Stub::UpdateRule, upd, &updated);
  ASSERT_TRUE(us.ok()) << us.error_message();
  std::vector<Record> resolved = warnings.ReadUntil(
      [&](const Record& rec) {
        wv1::WarningResolved w;
        return Decode(rec, "salesops.warning.v1.WarningResolved", &w) &&
               w.warning().rule() == "rules/pace-below-plan" && w.warning().subject() == r2;
      },
      1, absl::Seconds(30));
  ASSERT_EQ(resolved.size(), 1u);
  wv1::WarningResolved res;
  ASSERT_TRUE(res.ParseFromString(resolved[0].value));
  EXPECT_EQ(res.resolution(), wv1::WARNING_RESOLUTION_RULE_CHANGED);
  // The stale etag of the first read no longer applies.
  us = W(Director(), &wv1::WarningService::Stub::UpdateRule, upd, &updated);
  EXPECT_EQ(us.error_code(), grpc::StatusCode::ABORTED);
  // Switching it back on raises it again (a new warning: the old one is resolved).
  wv1::UpdateRuleRequest back;
  back.mutable_rule()->set_name("rules/pace-below-plan");
  back.mutable_rule()->set_etag(updated.rule().etag());
  back.mutable_update_mask()->add_paths("overrides");
  us = W(Director(), &wv1::WarningService::Stub::UpdateRule, back, &updated);
  ASSERT_TRUE(us.ok()) << us.error_message();
  EXPECT_EQ(warnings.ReadUntil(raised("rules/pace-below-plan", r2), 1, absl::Seconds(30)).size(),
            1u);
  SetClockOffset(absl::ZeroDuration());
}

// Customer and payment events straight onto the customers topic (as the
// customers service publishes them): a key account dropping a tier, a key
// customer left without activity, an overdue instalment — each raised by its
// event and resolved by the event that clears it.
TEST_F(WarningTest, KeyAccountsNeglectAndOverduePaymentsWarnAndClear) {
  const TestEnv& env = TestEnv::Get();
  // Today on the business clock, and in force in the engine (a test before
  // this one may have moved it a month on: neglect counts days to it).
  SetClockOffset(absl::ZeroDuration());
  ASSERT_NO_FATAL_FAILURE(SchedulerRanSinceNow());
  TopicReader warnings(env.kafka_bootstrap, kWarningTopic);
  auto produce = [&](const std::string& key, const std::string& subject,
                     const google::protobuf::Message& payload, absl::Time at) {
    CloudEvent e = MakeCloudEvent("/salesops/customers", key, subject, payload, at);
    EXPECT_TRUE(
        ProduceRaw(env.kafka_bootstrap, kCustomersTopic, e.key, e.data, ToKafkaHeaders(e)).ok());
    return e;
  };
  auto wait_for = [&](const std::string& type, const std::string& rule,
                      const std::string& subject) {
    std::vector<Record> got = warnings.ReadUntil(
        [&](const Record& rec) {
          wv1::Warning w;
          if (EventType(rec) == "salesops.warning.v1.WarningRaised") {
            wv1::WarningRaised e;
            if (!e.ParseFromString(rec.value)) {
              return false;
            }
            w = e.warning();
          } else if (EventType(rec) == "salesops.warning.v1.WarningResolved") {
            wv1::WarningResolved e;
            if (!e.ParseFromString(rec.value)) {
              return false;
            }
            w = e.warning();
          } else {
            return false;
          }
          return EventType(rec) == type && w.rule() == rule && w.subject() == subject;
        },
        1, absl::Seconds(30));
    return got.size() == 1;
  };
  const std::string raised = "salesops.warning.v1.WarningRaised";
  const std::string resolved = "salesops.warning.v1.WarningResolved";

  // A key account (S) re-tiered to B: downgrade warning; back to S: resolved.
  const std::string acct = "customers/" + Id("acct");
  cv1::CustomerTierChanged down;
  down.set_customer(acct);
  down.set_display_name("浙江大客户");
  down.set_old_tier(cv1::CUSTOMER_TIER_S);
  down.set_new_tier(cv1::CUSTOMER_TIER_B);
  down.set_owner("members/" + Id("r1"));
  down.set_team("orgUnits/" + Id("team"));
  produce(Id("acct"), acct, down, absl::Now());
  EXPECT_TRUE(wait_for(raised, "rules/key-account-tier-downgrade", acct)) << warning_->Logs();
  cv1::CustomerTierChanged up = down;
  up.set_old_tier(cv1::CUSTOMER_TIER_B);
  up.set_new_tier(cv1::CUSTOMER_TIER_S);
  produce(Id("acct"), acct, up, absl::Now());
  EXPECT_TRUE(wait_for(resolved, "rules/key-account-tier-downgrade", acct));

  // A tier-A customer whose last activity was 40 days ago: neglected; a visit
  // logged now clears it.
  const std::string quiet = "customers/" + Id("quiet");
  cv1::CustomerCreated created;
  created.mutable_customer()->set_name(quiet);
  created.mutable_customer()->set_display_name("安静的客户");
  created.mutable_customer()->set_tier(cv1::CUSTOMER_TIER_A);
  created.mutable_customer()->set_owner("members/" + Id("r2"));
  created.mutable_customer()->set_team("orgUnits/" + Id("team"));
  created.mutable_customer()->mutable_last_activity_time()->set_seconds(
      absl::ToUnixSeconds(absl::Now() - absl::Hours(24 * 40)));
  produce(Id("quiet"), quiet, created, absl::Now() - absl::Hours(24 * 60));
  EXPECT_TRUE(wait_for(raised, "rules/key-customer-neglected", quiet));
  cv1::ActivityLogged visit;
  visit.mutable_activity()->set_name("activities/" + Id("visit"));
  visit.mutable_activity()->set_customer(quiet);
  visit.mutable_activity()->mutable_occur_time()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  visit.set_customer_owner("members/" + Id("r2"));
  visit.set_team("orgUnits/" + Id("team"));
  produce(Id("quiet"), quiet, visit, absl::Now());
  EXPECT_TRUE(wait_for(resolved, "rules/key-customer-neglected", quiet)) << warning_->Logs();

  // An instalment due five days ago and unpaid: overdue; paid in full: resolved.
  const std::string contract = "contracts/" + Id("k");
  cv1::PaymentOverdue overdue;
  overdue.set_contract(contract);
  overdue.set_customer(acct);
  overdue.set_instalment_id("i1");
  const absl::CivilDay due = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600)) - 5;
  overdue.mutable_due_date()->set_year(static_cast<int>(due.year()));
  overdue.mutable_due_date()->set_month(due.month());
  overdue.mutable_due_date()->set_day(due.day());
  overdue.mutable_outstanding()->set_amount_minor(80'000'00);
  overdue.mutable_outstanding()->set_currency_code("CNY");
  overdue.set_owner("members/" + Id("r1"));
  overdue.set_team("orgUnits/" + Id("team"));
  produce(Id("acct"), contract, overdue, absl::Now());
  EXPECT_TRUE(wait_for(raised, "rules/payment-overdue", contract));
  cv1::PaymentReceived paid;
  paid.set_contract(contract);
  paid.set_customer(acct);
  paid.set_payment_id("p1");
  paid.set_instalment_id("i1");
  paid.mutable_amount()->set_amount_minor(80'000'00);
  paid.mutable_amount()->set_currency_code("CNY");
  paid.set_instalment_state(cv1::INSTALMENT_STATE_RECEIVED);
  produce(Id("acct"), contract, paid, absl::Now());
  EXPECT_TRUE(wait_for(resolved, "rules/payment-overdue", contract));

  // Each was routed to the team's supervisor and is now resolved.
  wv1::ListWarningsRequest mine;
  mine.set_responsible_supervisor("members/" + Id("sup"));
  mine.add_states(wv1::WARNING_STATE_RESOLVED);
  mine.set_page_size(500);
  wv1::ListWarningsResponse got;
  ASSERT_TRUE(W(Sup(), &wv1::WarningService::Stub::ListWarnings, mine, &got).ok());
  int ours = 0;
  for (const auto& w : got.warnings()) {
    if (w.subject() == acct || w.subject() == quiet || w.subject() == contract) {
      ++ours;
    }
  }
  EXPECT_EQ(ours, 3);
}

}  // namespace
}  // namespace salesops::testing
