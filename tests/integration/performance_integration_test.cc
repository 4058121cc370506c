// The performance service end to end over Kafka and Redis, with the real org
// service (its directory) and the real customers service (deals): a won deal
// moves the rep's statement and scorecard; a refund claws back exactly once
// even when its event is delivered twice; a poison record is dead-lettered and
// the consumer goes on; and wiping the service's keyspace and replaying the
// topics from the beginning gives the same statements and scorecards, byte
// for byte. Waits are on conditions (the state or a barrier event), never on
// time alone.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/events/cloud_event.h"
#include "common/time/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/customers/v1/customers_service.grpc.pb.h"
#include "salesops/org/v1/org_service.grpc.pb.h"
#include "salesops/performance/v1/performance_events.pb.h"
#include "salesops/performance/v1/performance_service.grpc.pb.h"
#include "services/performance/domain/review.h"
#include "services/performance/store/redis_performance_repository.h"
#include "tests/integration/customers_env.h"
#include "tests/integration/directory_barrier.h"
#include "tests/integration/performance_env.h"

namespace salesops::testing {
namespace {

namespace pv1 = salesops::performance::v1;
namespace ov1 = salesops::org::v1;
namespace cv1 = salesops::customers::v1;

constexpr char kCustomersTopic[] = "salesops.customers.events.v1";
constexpr char kPerformanceTopic[] = "salesops.performance.events.v1";
constexpr char kCreditDlq[] = "salesops.performance-credit.dlq.v1";

absl::TimeZone China() { return absl::FixedTimeZone(8 * 3600); }

// The fiscal quarter (calendar fiscal year) containing `d`, as the service names it.
struct Quarter {
  std::string id;
  absl::CivilDay first, last;
};
Quarter QuarterOf(absl::CivilDay d) {
  const int q = (d.month() - 1) / 3 + 1;
  const absl::CivilMonth first(d.year(), 3 * (q - 1) + 1);
  return {absl::StrFormat("FY%04d-Q%d", static_cast<int>(d.year()), q), absl::CivilDay(first),
          absl::CivilDay(first + 3) - 1};
}

salesops::common::v1::Money Cny(int64_t minor) {
  salesops::common::v1::Money m;
  m.set_amount_minor(minor);
  m.set_currency_code("CNY");
  return m;
}

salesops::common::v1::Date Date(absl::CivilDay d) {
  salesops::common::v1::Date out;
  out.set_year(static_cast<int>(d.year()));
  out.set_month(d.month());
  out.set_day(d.day());
  return out;
}

// Polls `done` every 100 ms until it holds or `limit` passes.
bool WaitFor(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(60)) {
  const absl::Time end = absl::Now() + limit;
  while (absl::Now() < end) {
    if (done()) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return done();
}

// Deletes every key of the performance service (the test owns its keyspace
// in the test Redis: a KPI set of an earlier run would change the weights).
void WipeKeyspace() {
  RedisClient& redis = TestRedis();
  std::string cursor = "0";
  do {
    auto page = redis.Command({"SCAN", cursor, "MATCH", "perf:{perf}:*", "COUNT", "1000"});
    ASSERT_TRUE(page.ok() && page->elements.size() == 2) << page.status();
    cursor = page->elements[0].str;
    for (const RedisValue& k : page->elements[1].elements) {
      ASSERT_TRUE(redis.Command({"DEL", k.str}).ok());
    }
  } while (cursor != "0");
}

class PerformanceE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    WipeKeyspace();
    sfx_ = new std::string(UniqueSuffix());
    org_ = new OrgServer();
    org_->Start();
    customers_ = new CustomersServer();
    customers_->Start();
    perf_ = new PerformanceServer();
    perf_->Start();
    CreateOrgUnit(*org_, Id("co"), ov1::ORG_UNIT_KIND_COMPANY, "");
    CreateOrgUnit(*org_, Id("east"), ov1::ORG_UNIT_KIND_REGION, Id("co"));
    CreateOrgUnit(*org_, Id("team"), ov1::ORG_UNIT_KIND_TEAM, Id("east"));
    CreateOrgUnit(*org_, Id("pl"), ov1::ORG_UNIT_KIND_PRODUCT_LINE, Id("co"));
    CreateMember(*org_, Id("sup"), ov1::ROLE_SUPERVISOR, Id("team"));
    CreateMember(*org_, Id("r1"), ov1::ROLE_REP, Id("team"));
    CreateMember(*org_, Id("r2"), ov1::ROLE_REP, Id("team"));
    // A team and reps for the replay, poison and script tests: their deals
    // change no figure another test checks, whichever runs first.
    CreateOrgUnit(*org_, Id("rp-team"), ov1::ORG_UNIT_KIND_TEAM, Id("east"));
    CreateMember(*org_, Id("r3"), ov1::ROLE_REP, Id("rp-team"));
    CreateMember(*org_, Id("r4"), ov1::ROLE_REP, Id("rp-team"));
    Configure();
    // The service learns the org from events, each unit and member on its
    // own partition: wait until its directory holds all of them.
    DirectoryBarrier known(performance::kKeyPrefix);
    known.Unit(Id("team"), Id("east"));
    known.Unit(Id("rp-team"), Id("east"));
    for (const char* m : {"sup", "r1", "r2"}) {
      known.Member(Id(m), Id("team"));
    }
    for (const char* m : {"r3", "r4"}) {
      known.Member(Id(m), Id("rp-team"));
    }
    ASSERT_TRUE(known.Wait()) << perf_->Logs();
  }
  static void TearDownTestSuite() {
    delete perf_;
    delete customers_;
    delete org_;
    delete sfx_;
  }

  // The commission plan (2 % to target, 3 % above; refunds within 365 days
  // clawed back; ¥100,000 per quarter when no target plan names one) and two
  // KPIs, by fixed ids so a replay can set them up again.
  static void Configure() {
    pv1::CreateCommissionPlanRequest plan;
    plan.set_commission_plan_id(Id("plan"));
    auto* p = plan.mutable_commission_plan();
    p->set_display_name("集成测试提成方案");
    *p->mutable_effective_start_date() = Date(absl::CivilDay(2020, 1, 1));
    p->add_members("members/" + Id("r1"));
    p->add_members("members/" + Id("r2"));
    p->add_members("members/" + Id("r3"));
    p->add_members("members/" + Id("r4"));
    p->set_basis(pv1::COMMISSION_BASIS_BOOKING);
    p->set_tier_mode(pv1::TIER_MODE_MARGINAL);
    auto* b1 = p->add_bands();
    b1->set_max_attainment_basis_points(10'000);
    b1->set_rate_millionths(20'000);
    auto* b2 = p->add_bands();
    b2->set_min_attainment_basis_points(10'000);
    b2->set_rate_millionths(30'000);
    p->set_clawback_window_days(365);
    *p->mutable_default_target() = Cny(100'000'00);
    pv1::CreateCommissionPlanResponse created;
    grpc::Status s =
        Call(Admin(), &pv1::PerformanceService::Stub::CreateCommissionPlan, plan, &created);
    ASSERT_TRUE(s.ok()) << s.error_message();
    pv1::ActivateCommissionPlanRequest act;
    act.set_name("commissionPlans/" + Id("plan"));
    pv1::ActivateCommissionPlanResponse activated;
    s = Call(Admin(), &pv1::PerformanceService::Stub::ActivateCommissionPlan, act, &activated);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (const auto& [id, metric, weight] :
         std::vector<std::tuple<std::string, pv1::KpiMetric, int>>{
             {Id("bookings"), pv1::KPI_METRIC_BOOKINGS, 7'000},
             {Id("activities"), pv1::KPI_METRIC_ACTIVITIES, 3'000}}) {
      pv1::CreateKpiDefinitionRequest kpi;
      kpi.set_kpi_definition_id(id);
      auto* k = kpi.mutable_kpi_definition();
      k->set_display_name(id);
      k->set_metric(metric);
      if (metric == pv1::KPI_METRIC_BOOKINGS) {
        *k->mutable_target()->mutable_money() = Cny(100'000'00);
      } else {
        k->mutable_target()->set_count(20);
      }
      k->set_weight_basis_points(weight);
      k->set_direction(pv1::KPI_DIRECTION_HIGHER_IS_BETTER);
      // Scoped to this run's company: the test Redis is shared with the other
      // integration tests, and an unscoped KPI set would apply to their
      // subjects as well (weights of two sets summing past 10000).
      k->add_org_units("orgUnits/" + Id("co"));
      pv1::CreateKpiDefinitionResponse resp;
      s = Call(Admin(), &pv1::PerformanceService::Stub::CreateKpiDefinition, kpi, &resp);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
  }

  static std::string Id(const std::string& base) { return base + "-" + *sfx_; }
  static std::string Admin() { return Token(Role::kAdmin, "admin", ""); }
  static std::string Sup() { return Token(Role::kSupervisor, Id("sup"), Id("team")); }
  static std::string Rep(const std::string& r) { return Token(Role::kRep, Id(r), Id("team")); }

  template <typename Req, typename Resp, typename Fn>
  static grpc::Status Call(const std::string& token, Fn fn, const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    Authorize(ctx, token);
    return (perf_->stub().*fn)(&ctx, req, resp);
  }
  template <typename Req, typename Resp, typename Fn>
  static grpc::Status CallCustomers(const std::string& token, Fn fn, const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    Authorize(ctx, token);
    return (customers_->stub().*fn)(&ctx, req, resp);
  }

  static absl::CivilDay Today() { return absl::ToCivilDay(absl::Now(), China()); }

  pv1::CommissionStatement Statement(const std::string& rep, const std::string& period,
                                     const std::string& token = "") {
    pv1::GetCommissionStatementRequest req;
    req.set_member("members/" + Id(rep));
    req.set_period("fiscalPeriods/" + period);
    pv1::GetCommissionStatementResponse resp;
    (void)Call(token.empty() ? Admin() : token,
               &pv1::PerformanceService::Stub::GetCommissionStatement, req, &resp);
    return resp.commission_statement();
  }

  // A customers event as the customers service would publish it, produced raw.
  CloudEvent Publish(const google::protobuf::Message& payload, const std::string& key,
                     const std::string& subject, const std::string& id = "") {
    CloudEvent e = MakeCloudEvent("/salesops/customers", key, subject, payload, absl::Now());
    if (!id.empty()) {
      e.id = id;
    }
    EXPECT_TRUE(ProduceRaw(TestEnv::Get().kafka_bootstrap, kCustomersTopic, e.key, e.data,
                           ToKafkaHeaders(e))
                    .ok());
    return e;
  }
  void Republish(const CloudEvent& e) {
    ASSERT_TRUE(ProduceRaw(TestEnv::Get().kafka_bootstrap, kCustomersTopic, e.key, e.data,
                           ToKafkaHeaders(e))
                    .ok());
  }

  cv1::OpportunityWon WonEvent(const std::string& opp, const std::string& rep, int64_t amount,
                               absl::CivilDay day, const std::string& team = "team") {
    cv1::OpportunityWon w;
    w.set_opportunity("opportunities/" + opp);
    w.set_customer("customers/" + Id("c-raw"));
    w.set_owner("members/" + Id(rep));
    w.set_team("orgUnits/" + Id(team));
    w.set_region("orgUnits/" + Id("east"));
    w.set_product_line("orgUnits/" + Id("pl"));
    *w.mutable_amount() = Cny(amount);
    *w.mutable_won_date() = Date(day);
    return w;
  }

  static inline std::string* sfx_ = nullptr;
  static inline OrgServer* org_ = nullptr;
  static inline CustomersServer* customers_ = nullptr;
  static inline PerformanceServer* perf_ = nullptr;
};

// Through the real customers service: a deal won by rep 1 becomes a line of
// their statement and moves their scorecard; CommissionAccrued names it.
TEST_F(PerformanceE2eTest, AWonDealMovesTheRepsStatementAndScorecard) {
  TopicReader perf_topic(TestEnv::Get().kafka_bootstrap, kPerformanceTopic);
  const std::string period = QuarterOf(Today()).id;
  // The customers service learns the org from events too.
  cv1::CreateCustomerRequest cc;
  cc.set_customer_id(Id("c1"));
  cc.mutable_customer()->set_display_name("杭州恒通科技有限公司" + *sfx_);
  cc.mutable_customer()->set_customer_type("enterprise");
  cc.mutable_customer()->set_owner("members/" + Id("r1"));
  cv1::CreateCustomerResponse customer;
  ASSERT_TRUE(WaitFor([&] {
    return CallCustomers(Admin(), &cv1::CustomersService::Stub::CreateCustomer, cc, &customer).ok();
  })) << customers_->Logs();
  cv1::CreateOpportunityRequest co;
  co.mutable_opportunity()->set_customer(customer.customer().name());
  co.mutable_opportunity()->set_display_name("年度采购项目");
  *co.mutable_opportunity()->mutable_amount() = Cny(80'000'00);
  co.mutable_opportunity()->set_product_line("orgUnits/" + Id("pl"));
  co.mutable_opportunity()->set_channel("direct");
  cv1::CreateOpportunityResponse opp;
  grpc::Status s =
      CallCustomers(Rep("r1"), &cv1::CustomersService::Stub::CreateOpportunity, co, &opp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  cv1::Opportunity o = opp.opportunity();
  for (cv1::OpportunityStage stage :
       {cv1::OPPORTUNITY_STAGE_CONTRACT, cv1::OPPORTUNITY_STAGE_WON}) {
    cv1::ChangeOpportunityStageRequest req;
    req.set_name(o.name());
    req.set_etag(o.etag());
    req.set_stage(stage);
    cv1::ChangeOpportunityStageResponse resp;
    s = CallCustomers(Rep("r1"), &cv1::CustomersService::Stub::ChangeOpportunityStage, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    o = resp.opportunity();
  }
  // A satisfaction score outside 1..5 is refused naming the field; a good one is kept.
  cv1::LogActivityRequest la;
  la.mutable_activity()->set_customer(customer.customer().name());
  la.mutable_activity()->set_kind(cv1::ACTIVITY_KIND_VISIT);
  la.mutable_activity()->set_outcome(cv1::ACTIVITY_OUTCOME_POSITIVE);
  la.mutable_activity()->set_satisfaction_score(6);
  cv1::LogActivityResponse lar;
  s = CallCustomers(Rep("r1"), &cv1::CustomersService::Stub::LogActivity, la, &lar);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFieldOf(s), "activity.satisfaction_score");
  la.mutable_activity()->set_satisfaction_score(5);
  s = CallCustomers(Rep("r1"), &cv1::CustomersService::Stub::LogActivity, la, &lar);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(lar.activity().satisfaction_score(), 5);

  pv1::CommissionStatement st;
  ASSERT_TRUE(WaitFor([&] {
    st = Statement("r1", period, Rep("r1"));
    return st.net_payable().amount_minor() == 1'600'00;  // 80,000 × 2 %
  })) << perf_->Logs();
  ASSERT_GE(st.lines_size(), 1);
  EXPECT_EQ(st.lines(0).kind(), pv1::STATEMENT_LINE_KIND_BASE);
  EXPECT_EQ(st.lines(0).opportunity(), o.name());
  EXPECT_EQ(st.target().amount_minor(), 100'000'00);
  // A rep asking for another rep's statement is refused.
  pv1::GetCommissionStatementRequest other;
  other.set_member("members/" + Id("r1"));
  other.set_period("fiscalPeriods/" + period);
  pv1::GetCommissionStatementResponse resp;
  EXPECT_EQ(Call(Rep("r2"), &pv1::PerformanceService::Stub::GetCommissionStatement, other, &resp)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  pv1::GetScorecardRequest card;
  card.set_subject("members/" + Id("r1"));
  card.set_period("fiscalPeriods/" + period);
  pv1::GetScorecardResponse sc;
  auto line = [&](const std::string& kpi) {
    for (const auto& l : sc.scorecard().kpi_lines()) {
      if (l.kpi() == "kpis/" + Id(kpi)) {
        return l;
      }
    }
    return pv1::ScorecardKpiLine();
  };
  ASSERT_TRUE(WaitFor([&] {
    return Call(Rep("r1"), &pv1::PerformanceService::Stub::GetScorecard, card, &sc).ok() &&
           line("bookings").actual().money().amount_minor() == 80'000'00 &&
           line("activities").actual().count() == 1;
  })) << perf_->Logs();
  // Activities 1/20 = 5 % × 30 % = 150; bookings 80 % × 70 % = 5600.
  EXPECT_EQ(sc.scorecard().total_score_basis_points(), 5'750);
  EXPECT_EQ(sc.scorecard().rank_in_team(), 1);

  auto accrued = perf_topic.ReadUntil(
      [&](const Record& r) {
        pv1::CommissionAccrued a;
        return EventType(r) == "salesops.performance.v1.CommissionAccrued" &&
               a.ParseFromString(r.value) && a.member() == "members/" + Id("r1");
      },
      1, absl::Seconds(30));
  ASSERT_EQ(accrued.size(), 1u);
  pv1::CommissionAccrued a;
  ASSERT_TRUE(a.ParseFromString(accrued[0].value));
  EXPECT_EQ(a.cause_event_source(), "/salesops/customers");
  EXPECT_EQ(a.net_payable().amount_minor(), 1'600'00);
}

// A refund of a deal credited last quarter claws its commission back once,
// though the refund event is delivered twice; a later event of the same key
// is the barrier that shows the duplicate was handled.
// Biweekly reviews through Kafka: rep 1 loses 7 of 12 closed deals at
// PROPOSAL in one cycle (rep 2: 2 of 25); their review suggests the
// objection-handling practice citing those figures. The supervisor makes it
// an action item, the rep closes it, and the next cycle's wins show in the
// next review as the coaching's before/after.
TEST_F(PerformanceE2eTest, LossesAtOneStageBecomeASuggestionAndCoachingShowsBeforeAndAfter) {
  using salesops::performance::BiweeklyCycle;
  using salesops::performance::CycleOf;
  using salesops::performance::PreviousCycle;
  const BiweeklyCycle next = PreviousCycle(CycleOf(Today(), 1), 1);
  const BiweeklyCycle coached = PreviousCycle(next, 1);
  // A team of its own: the review counts the team's closed deals of a past
  // cycle exactly, and another test's deal (e.g. the refund test's, dated
  // before this quarter) may fall into that cycle.
  CreateOrgUnit(*org_, Id("rv-team"), ov1::ORG_UNIT_KIND_TEAM, Id("east"));
  CreateMember(*org_, Id("rv-sup"), ov1::ROLE_SUPERVISOR, Id("rv-team"));
  CreateMember(*org_, Id("rv-r1"), ov1::ROLE_REP, Id("rv-team"));
  CreateMember(*org_, Id("rv-r2"), ov1::ROLE_REP, Id("rv-team"));
  DirectoryBarrier known(performance::kKeyPrefix);
  known.Unit(Id("rv-team"), Id("east"));
  for (const char* m : {"rv-sup", "rv-r1", "rv-r2"}) {
    known.Member(Id(m), Id("rv-team"));
  }
  ASSERT_TRUE(known.Wait()) << perf_->Logs();
  const std::string sup = Token(Role::kSupervisor, Id("rv-sup"), Id("rv-team"));
  auto rv_rep = [&](const std::string& r) { return Token(Role::kRep, Id(r), Id("rv-team")); };
  const std::string key = Id("k-review");  // one partition: in order
  auto won = [&](const std::string& opp, const std::string& r, absl::CivilDay d) {
    Publish(WonEvent(opp, r, 10'000'00, d, "rv-team"), key, "w");
  };
  auto lost = [&](const std::string& opp, const std::string& rep, absl::CivilDay d,
                  cv1::OpportunityStage from) {
    cv1::OpportunityLost l;
    l.set_opportunity("opportunities/" + opp);
    l.set_customer("customers/" + Id("c-raw"));
    l.set_owner("members/" + Id(rep));
    l.set_team("orgUnits/" + Id("rv-team"));
    l.set_from_stage(from);
    l.set_reason("价格太高");
    *l.mutable_amount() = Cny(30'000'00);
    *l.mutable_close_time() = ToTs(absl::FromCivil(absl::CivilHour(d) + 12, China()));
    Publish(l, key, l.opportunity());
  };
  const absl::CivilDay d1 = coached.first + 2;
  for (int i = 0; i < 15; ++i) {
    won(Id(absl::StrCat("rv2w", i)), "rv-r2", d1);
  }
  for (int i = 0; i < 10; ++i) {
    lost(Id(absl::StrCat("rv2l", i)), "rv-r2", d1,
         i < 2 ? cv1::OPPORTUNITY_STAGE_PROPOSAL : cv1::OPPORTUNITY_STAGE_QUALIFIED);
  }
  for (int i = 0; i < 2; ++i) {
    won(Id(absl::StrCat("rv1w", i)), "rv-r1", d1);
  }
  for (int i = 0; i < 10; ++i) {
    lost(Id(absl::StrCat("rv1l", i)), "rv-r1", d1,
         i < 7 ? cv1::OPPORTUNITY_STAGE_PROPOSAL : cv1::OPPORTUNITY_STAGE_NEGOTIATION);
  }
  // The supervisor generates the review; its figures refresh until every
  // event is in (rep 1's last loss was published last).
  auto generate = [&](const BiweeklyCycle& c, pv1::BiweeklyReview* out) {
    pv1::GenerateReviewRequest req;
    req.set_member("members/" + Id("rv-r1"));
    *req.mutable_end_date() = Date(c.last);
    pv1::GenerateReviewResponse resp;
    grpc::Status s = Call(sup, &pv1::PerformanceService::Stub::GenerateReview, req, &resp);
    *out = resp.review();
    return s;
  };
  pv1::BiweeklyReview review;
  ASSERT_TRUE(WaitFor([&] {
    return generate(coached, &review).ok() && review.pipeline().lost_count() == 10;
  })) << review.DebugString()
      << perf_->Logs();
  EXPECT_EQ(review.pipeline().won_count(), 2);
  const pv1::Suggestion* suggestion = nullptr;
  for (const auto& s : review.suggestions()) {
    if (s.rule_id() == "stage_loss.proposal") {
      suggestion = &s;
    }
  }
  ASSERT_NE(suggestion, nullptr) << review.DebugString();
  std::map<std::string, int64_t> evidence;
  for (const auto& e : suggestion->evidence()) {
    evidence[e.key()] = e.value().has_basis_points() ? e.value().basis_points() : e.value().count();
  }
  EXPECT_EQ(evidence["lost_from_proposal"], 7);
  EXPECT_EQ(evidence["closed_deals"], 12);
  EXPECT_EQ(evidence["team_closed_deals"], 25);
  EXPECT_EQ(evidence["team_loss_share_proposal"], 800);
  ASSERT_EQ(review.loss_reasons_size(), 1);
  EXPECT_EQ(review.loss_reasons(0).count(), 10);
  // The next cycle's review exists before the item is added (as the
  // scheduler may already have made it): the item stays where it was made.
  pv1::BiweeklyReview later;
  ASSERT_TRUE(generate(next, &later).ok());

  pv1::AddActionItemRequest add;
  add.set_review(review.name());
  add.mutable_action_item()->set_description("两周内做四次异议处理角色扮演");
  add.mutable_action_item()->set_suggestion_id(suggestion->suggestion_id());
  *add.mutable_action_item()->mutable_due_date() = Date(next.last);
  pv1::AddActionItemResponse added;
  grpc::Status s = Call(sup, &pv1::PerformanceService::Stub::AddActionItem, add, &added);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(added.review().action_items_size(), 1);
  EXPECT_EQ(added.review().action_items(0).metric_before().basis_points(), 1666);  // 2 of 12
  // The rep closes it; another rep cannot touch it.
  pv1::UpdateActionItemRequest done;
  done.set_review(review.name());
  done.set_action_item_id(added.review().action_items(0).action_item_id());
  done.set_state(pv1::ACTION_ITEM_STATE_DONE);
  pv1::UpdateActionItemResponse updated;
  EXPECT_EQ(Call(rv_rep("rv-r2"), &pv1::PerformanceService::Stub::UpdateActionItem, done, &updated)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  s = Call(rv_rep("rv-r1"), &pv1::PerformanceService::Stub::UpdateActionItem, done, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // The next cycle: 3 won, 1 lost.
  const absl::CivilDay d2 = next.first + 1;
  for (int i = 0; i < 3; ++i) {
    won(Id(absl::StrCat("rv1x", i)), "rv-r1", d2);
  }
  lost(Id("rv1y"), "rv-r1", d2, cv1::OPPORTUNITY_STAGE_NEGOTIATION);
  ASSERT_TRUE(WaitFor([&] {
    return generate(next, &later).ok() && later.pipeline().lost_count() == 1 &&
           later.pipeline().won_count() == 3;
  })) << later.DebugString()
      << perf_->Logs();
  EXPECT_EQ(later.previous_review(), review.name());
  ASSERT_EQ(later.outcomes_size(), 1) << later.DebugString();
  EXPECT_EQ(later.outcomes(0).metric(), pv1::KPI_METRIC_WIN_RATE);
  EXPECT_EQ(later.outcomes(0).metric_before().basis_points(), 1666);
  EXPECT_EQ(later.outcomes(0).metric_after().basis_points(), 7500);  // 3 of 4
}

// The script library through Kafka and Redis: uses recorded on deals (before
// and after they close) count each deal's outcome once per version; the win
// rate carries its 95 % Wilson interval; a lost key-account deal enters the
// case library.
TEST_F(PerformanceE2eTest, ScriptWinRatesFollowDealOutcomesAndBigLossesBecomeCases) {
  pv1::CreateSalesScriptRequest cs;
  cs.set_script_id(Id("script"));
  cs.mutable_script()->set_title("价格异议：先认同再拆解");
  cs.mutable_script()->set_scenario(pv1::SCRIPT_SCENARIO_OBJECTION_HANDLING);
  cs.set_body("1. 认同 2. 提问 3. 拆解价值");
  pv1::CreateSalesScriptResponse created;
  grpc::Status s = Call(Sup(), &pv1::PerformanceService::Stub::CreateSalesScript, cs, &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  for (pv1::ScriptVersionState to :
       {pv1::SCRIPT_VERSION_STATE_IN_REVIEW, pv1::SCRIPT_VERSION_STATE_PUBLISHED}) {
    pv1::SetScriptVersionStateRequest mv;
    mv.set_script(created.script().name());
    mv.set_version(1);
    mv.set_state(to);
    pv1::SetScriptVersionStateResponse moved;
    s = Call(Sup(), &pv1::PerformanceService::Stub::SetScriptVersionState, mv, &moved);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  // The deals are rp-team's rep's: ¥600,000 wins change no figure another
  // test checks (rep 1's statement and scorecard), whichever runs first.
  auto rp_rep = [&](const std::string& r) { return Token(Role::kRep, Id(r), Id("rp-team")); };
  const std::string key = Id("k-script");
  const absl::CivilDay today = Today();
  std::vector<std::string> opps;
  for (int i = 0; i < 5; ++i) {
    cv1::OpportunityCreated c;
    c.set_opportunity("opportunities/" + Id(absl::StrCat("so", i)));
    c.set_customer("customers/" + Id("c-raw"));
    c.set_owner("members/" + Id("r4"));
    c.set_team("orgUnits/" + Id("rp-team"));
    *c.mutable_amount() = Cny(600'000'00);
    Publish(c, key, c.opportunity());
    opps.push_back(c.opportunity());
  }
  auto use = [&](const std::string& opp) {
    pv1::RecordScriptUseRequest req;
    req.set_script(created.script().name());
    req.set_opportunity(opp);
    pv1::RecordScriptUseResponse resp;
    return Call(rp_rep("r4"), &pv1::PerformanceService::Stub::RecordScriptUse, req, &resp);
  };
  // The service learns the deals from their events; then the rep records uses on four.
  ASSERT_TRUE(WaitFor([&] { return use(opps[0]).ok(); })) << perf_->Logs();
  for (int i = 1; i < 4; ++i) {
    ASSERT_TRUE(use(opps[i]).ok());
  }
  // Another rep cannot record on the rep's deal.
  {
    pv1::RecordScriptUseRequest req;
    req.set_script(created.script().name());
    req.set_opportunity(opps[4]);
    pv1::RecordScriptUseResponse resp;
    EXPECT_EQ(Call(rp_rep("r3"), &pv1::PerformanceService::Stub::RecordScriptUse, req, &resp)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  // Two won, two lost (one of them a ¥600,000 key account), one won without a use.
  for (int i : {0, 1, 4}) {
    cv1::OpportunityWon w = WonEvent(Id(absl::StrCat("so", i)), "r4", 600'000'00, today, "rp-team");
    Publish(w, key, w.opportunity());
  }
  for (int i : {2, 3}) {
    cv1::OpportunityLost l;
    l.set_opportunity(opps[i]);
    l.set_customer("customers/" + Id("c-raw"));
    l.set_display_name(absl::StrCat("华东制造集团框架 ", *sfx_, " ", i));
    l.set_owner("members/" + Id("r4"));
    l.set_team("orgUnits/" + Id("rp-team"));
    l.set_from_stage(cv1::OPPORTUNITY_STAGE_NEGOTIATION);
    l.set_reason("价格高于竞品");
    l.set_lost_to_competitor("竞品B");
    *l.mutable_amount() = Cny(600'000'00);
    Publish(l, key, l.opportunity());
  }
  pv1::SalesScript got;
  ASSERT_TRUE(WaitFor([&] {
    pv1::GetSalesScriptRequest req;
    req.set_name(created.script().name());
    pv1::GetSalesScriptResponse resp;
    if (!Call(Sup(), &pv1::PerformanceService::Stub::GetSalesScript, req, &resp).ok()) {
      return false;
    }
    got = resp.script();
    return got.closed_use_count() == 4;
  })) << got.DebugString()
      << perf_->Logs();
  // Deal 4 closed won without a use; recorded now, it counts at once.
  ASSERT_TRUE(use(opps[4]).ok());
  ASSERT_TRUE(use(opps[4]).ok());  // once per deal
  pv1::GetSalesScriptRequest req;
  req.set_name(created.script().name());
  pv1::GetSalesScriptResponse resp;
  ASSERT_TRUE(Call(rp_rep("r4"), &pv1::PerformanceService::Stub::GetSalesScript, req, &resp).ok());
  ASSERT_EQ(resp.script().versions_size(), 1);
  const pv1::SalesScriptVersion& v = resp.script().versions(0);
  EXPECT_EQ(v.use_count(), 5);
  EXPECT_EQ(v.closed_use_count(), 5);
  EXPECT_EQ(v.won_use_count(), 3);
  EXPECT_EQ(v.win_rate_basis_points(), 6000);
  EXPECT_EQ(v.win_rate_low_basis_points(), 2307);  // Wilson 3/5: 0.2307 .. 0.8824
  EXPECT_EQ(v.win_rate_high_basis_points(), 8824);
  // The lost key accounts are cases anyone can search.
  pv1::ListNegotiationCasesRequest lc;
  lc.set_query(absl::StrCat("华东制造集团框架 ", *sfx_));
  pv1::ListNegotiationCasesResponse cases;
  ASSERT_TRUE(
      Call(Rep("r2"), &pv1::PerformanceService::Stub::ListNegotiationCases, lc, &cases).ok());
  ASSERT_EQ(cases.cases_size(), 2);
  EXPECT_EQ(cases.cases(0).lost_to_competitor(), "竞品B");
  EXPECT_EQ(cases.cases(0).outcome(), pv1::NEGOTIATION_OUTCOME_LOST);
}

TEST_F(PerformanceE2eTest, ARefundClawsBackExactlyOnceEvenWhenDeliveredTwice) {
  TopicReader perf_topic(TestEnv::Get().kafka_bootstrap, kPerformanceTopic);
  const Quarter now = QuarterOf(Today());
  const Quarter before = QuarterOf(now.first - 1);
  const std::string key = Id("k-refund");
  Publish(WonEvent(Id("o-refund"), "r2", 50'000'00, before.last - 5), key, "o");
  ASSERT_TRUE(WaitFor([&] {
    return Statement("r2", before.id).net_payable().amount_minor() == 1'000'00;
  })) << perf_->Logs();
  cv1::PaymentRefunded refund;
  refund.set_opportunity("opportunities/" + Id("o-refund"));
  refund.set_contract("contracts/" + Id("k-refund"));
  refund.set_payment_id("p-1");
  refund.set_owner("members/" + Id("r2"));
  refund.set_team("orgUnits/" + Id("team"));
  *refund.mutable_amount() = Cny(10'000'00);
  *refund.mutable_refund_date() = Date(Today());
  const CloudEvent first = Publish(refund, key, "r");
  Republish(first);
  const CloudEvent barrier = Publish(WonEvent(Id("o-barrier"), "r2", 1'000'00, Today()), key, "b");
  pv1::CommissionStatement st;
  ASSERT_TRUE(WaitFor([&] {
    st = Statement("r2", now.id);
    for (const auto& l : st.lines()) {
      if (l.event_id() == barrier.id) {
        return true;
      }
    }
    return false;
  })) << perf_->Logs();
  EXPECT_EQ(st.clawback_total().amount_minor(), 200'00);  // 1/5 of 1,000
  ASSERT_EQ(st.clawbacks_size(), 1);
  EXPECT_EQ(st.clawbacks(0).original_statement(),
            "commissionStatements/" + before.id + "." + Id("r2"));
  // On the topic: one CommissionClawedBack before the barrier's accrual.
  int clawbacks = 0;
  auto seen = perf_topic.ReadUntil(
      [&](const Record& r) {
        if (EventType(r) == "salesops.performance.v1.CommissionClawedBack") {
          pv1::CommissionClawedBack c;
          if (c.ParseFromString(r.value) && c.member() == "members/" + Id("r2")) {
            ++clawbacks;
            EXPECT_EQ(c.cause_event_id(), first.id);
          }
        }
        pv1::CommissionAccrued a;
        return EventType(r) == "salesops.performance.v1.CommissionAccrued" &&
               a.ParseFromString(r.value) && a.cause_event_id() == barrier.id;
      },
      1, absl::Seconds(30));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(clawbacks, 1);
}

// A record that is no event the projection can read goes to the dead-letter
// topic; the next good record is applied.
// (rp-team's rep: the deal after it changes no figure another test checks.)
TEST_F(PerformanceE2eTest, APoisonRecordIsDeadLettered) {
  TopicReader dlq(TestEnv::Get().kafka_bootstrap, kCreditDlq);
  const std::string key = Id("k-poison");
  CloudEvent poison =
      MakeCloudEvent("/salesops/customers", key, "opportunities/x",
                     WonEvent(Id("o-poison"), "r3", 1, Today(), "rp-team"), absl::Now());
  poison.data = "\xff\xff not a protobuf";
  ASSERT_TRUE(ProduceRaw(TestEnv::Get().kafka_bootstrap, kCustomersTopic, key, poison.data,
                         ToKafkaHeaders(poison))
                  .ok());
  const CloudEvent good =
      Publish(WonEvent(Id("o-after"), "r3", 5'000'00, Today(), "rp-team"), key, "g");
  auto dead = dlq.ReadUntil([&](const Record& r) { return r.key == key; }, 1, absl::Seconds(60));
  ASSERT_EQ(dead.size(), 1u) << perf_->Logs();
  EXPECT_EQ(dead[0].headers["ce_id"], poison.id);
  ASSERT_TRUE(WaitFor([&] {
    const pv1::CommissionStatement st = Statement("r3", QuarterOf(Today()).id);
    for (const auto& l : st.lines()) {
      if (l.event_id() == good.id) {
        return true;
      }
    }
    return false;
  })) << perf_->Logs();
}

// Wipe the keyspace, replay every topic from the beginning into a fresh
// instance: the same statements and scorecards, byte for byte.
TEST_F(PerformanceE2eTest, ReplayingTheTopicsGivesTheSameStatementsAndScorecards) {
  RedisClient& redis = TestRedis();
  auto quiet = [&] {
    auto work = redis.Command({"ZCARD", "perf:{perf}:ix:work"});
    return work.ok() && work->integer == 0;
  };
  // Deals of its own team's two reps in this quarter and the last (whatever
  // else has run), then a barrier event, then nothing left to recompute.
  const Quarter now = QuarterOf(Today());
  const absl::CivilDay last_quarter = QuarterOf(now.first - 1).first + 3;
  for (const char* r : {"r3", "r4"}) {
    Publish(WonEvent(Id(absl::StrCat("o-replay-now-", r)), r, 3'000'00, Today(), "rp-team"),
            Id("k-last"), "n");
    Publish(WonEvent(Id(absl::StrCat("o-replay-before-", r)), r, 4'000'00, last_quarter, "rp-team"),
            Id("k-last"), "b");
  }
  const CloudEvent last =
      Publish(WonEvent(Id("o-last"), "r4", 2'000'00, Today(), "rp-team"), Id("k-last"), "l");
  ASSERT_TRUE(WaitFor([&] {
    const pv1::CommissionStatement st = Statement("r4", QuarterOf(Today()).id);
    for (const auto& l : st.lines()) {
      if (l.event_id() == last.id) {
        return quiet();
      }
    }
    return false;
  })) << perf_->Logs();
  // This suite's statements and scorecards as stored.
  std::map<std::string, std::string> before;
  for (const char* kind : {"st", "card"}) {
    auto ids = redis.Command({"ZRANGE", absl::StrCat("perf:{perf}:ix:", kind), "0", "-1"});
    ASSERT_TRUE(ids.ok());
    for (const RedisValue& id : ids->elements) {
      if (!absl::StrContains(id.str, *sfx_)) {
        continue;
      }
      const std::string key = absl::StrCat("perf:{perf}:doc:", kind, ":", id.str);
      auto pb = redis.Command({"HGET", key, "pb"});
      ASSERT_TRUE(pb.ok() && !pb->is_nil());
      before[key] = pb->str;
    }
  }
  ASSERT_GE(before.size(),
            6u);  // r3's and r4's statements (two quarters), their and the team's cards

  perf_->Stop();
  WipeKeyspace();

  delete perf_;
  perf_ = new PerformanceServer();  // new consumer groups: from the beginning
  perf_->Start();
  Configure();
  std::string diff;
  const bool same = WaitFor(
      [&] {
        if (!quiet()) {
          return false;
        }
        diff.clear();
        for (const auto& [key, bytes] : before) {
          auto pb = redis.Command({"HGET", key, "pb"});
          if (!pb.ok() || pb->is_nil() || pb->str != bytes) {
            diff += key + " ";
          }
        }
        return diff.empty();
      },
      absl::Seconds(240));
  EXPECT_TRUE(same) << "differ after replay: " << diff << "\n" << perf_->Logs();
}

}  // namespace
}  // namespace salesops::testing
