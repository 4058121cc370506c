// The forecast service end to end, against real Redis and Kafka with the org,
// customers, targets and warning services running on one business clock: a
// published plan gives the team its target; a deal won through the customers
// API moves the team's forecast, its gap and its ForecastUpdated within
// moments; the forecast-gap warning is raised for the team and resolved when
// more wins close the gap; a redelivered deal event changes nothing; a poison
// record is dead-lettered and the consumer goes on. Tests never sleep to
// wait: they poll for the expected state with a deadline.
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/customers/v1/customers_service.grpc.pb.h"
#include "salesops/forecast/v1/forecast_events.pb.h"
#include "salesops/forecast/v1/forecast_service.grpc.pb.h"
#include "salesops/org/v1/org_service.grpc.pb.h"
#include "salesops/targets/v1/targets_service.grpc.pb.h"
#include "salesops/warning/v1/warning_events.pb.h"
#include "tests/integration/customers_env.h"
#include "tests/integration/forecast_env.h"
#include "tests/integration/targets_env.h"
#include "tests/integration/warning_env.h"

namespace salesops::testing {
namespace {

namespace cv1 = salesops::customers::v1;
namespace fv1 = salesops::forecast::v1;
namespace ov1 = salesops::org::v1;
namespace tv1 = salesops::targets::v1;
namespace wv1 = salesops::warning::v1;

constexpr char kForecastTopic[] = "salesops.forecast.events.v1";
constexpr char kWarningTopic[] = "salesops.warning.events.v1";
constexpr char kCustomersTopic[] = "salesops.customers.events.v1";
constexpr char kForecastDlq[] = "salesops.forecast-engine.dlq.v1";
constexpr int64_t kTeamTarget = 1'000'000'00;

absl::TimeZone Shanghai() { return absl::FixedTimeZone(8 * 3600); }

// Polls `check` every 100 ms until it is true or `timeout` passes.
bool Eventually(const std::function<bool()>& check, absl::Duration timeout = absl::Seconds(30)) {
  const absl::Time until = absl::Now() + timeout;
  while (absl::Now() < until) {
    if (check()) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return check();
}

template <typename M>
bool Decode(const Record& r, const std::string& type, M* out) {
  return EventType(r) == type && out->ParseFromString(r.value);
}

class ForecastTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sfx_ = new std::string(UniqueSuffix());
    clock_file_ = new std::string(absl::StrCat(TestEnv::Get().tmp, "/clock-", *sfx_));
    // The warning rule waits 14 days into the period: run at least 20 days in
    // (still inside the quarter, which has 89 days or more).
    const absl::CivilDay today = absl::ToCivilDay(absl::Now(), Shanghai());
    const int64_t elapsed = today - QuarterStart();
    offset_ = absl::Hours(24 * std::max<int64_t>(0, 20 - elapsed));
    SetClockOffset(offset_);
    const std::string clock_flag = "--clock_offset_file=" + *clock_file_;
    org_ = new OrgServer();
    org_->Start();
    customers_ = new CustomersServer({clock_flag, "--customers_jobs_interval=0s"});
    customers_->Start();
    targets_ = new TargetsServer({clock_flag});
    targets_->Start();
    forecast_ = new ForecastServer({clock_flag});
    forecast_->Start();
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
    member(Id("r3"), ov1::ROLE_REP, Id("team2"));
    PublishPlan();
    // The forecast service knows the org once its own directory lets the rep in.
    ASSERT_TRUE(Eventually([] {
      fv1::GetForecastRequest req;
      req.mutable_scope()->set_member("members/" + Id("r3"));
      req.set_period("fiscalPeriods/" + Id("q"));
      req.set_category(fv1::FORECAST_CATEGORY_PIPELINE);
      fv1::GetForecastResponse resp;
      return F(Rep("r3"), &fv1::ForecastService::Stub::GetForecast, req, &resp).error_code() ==
             grpc::StatusCode::NOT_FOUND;
    })) << forecast_->Logs();
  }
  static void TearDownTestSuite() {
    delete warning_;
    delete forecast_;
    delete targets_;
    delete customers_;
    delete org_;
    std::remove(clock_file_->c_str());
    delete clock_file_;
    delete sfx_;
  }

  static std::string Id(const std::string& base) { return base + "-" + *sfx_; }
  static absl::CivilDay QuarterStart() {
    const absl::CivilDay today = absl::ToCivilDay(absl::Now(), Shanghai());
    return absl::CivilDay(today.year(), (today.month() - 1) / 3 * 3 + 1, 1);
  }
  static void SetClockOffset(absl::Duration d) {
    const std::string tmp = *clock_file_ + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << absl::ToInt64Seconds(d) << "\n";
    }
    std::rename(tmp.c_str(), clock_file_->c_str());
  }
  static std::string Admin() { return Token(Role::kAdmin, "admin", ""); }
  static std::string Director() { return Token(Role::kDirector, "dir", Id("co")); }
  static std::string Sup() { return Token(Role::kSupervisor, Id("sup"), Id("team")); }
  static std::string Sup2() { return Token(Role::kSupervisor, Id("sup2"), Id("team2")); }
  static std::string Mgr() { return Token(Role::kManager, Id("mgr"), Id("east")); }
  static std::string Rep(const std::string& r) {
    return Token(Role::kRep, Id(r), Id(r == "r3" ? "team2" : "team"));
  }

  template <typename Stub, typename Req, typename Resp, typename Fn>
  static grpc::Status Call(Stub& stub, const std::string& token, Fn fn, const Req& req,
                           Resp* resp) {
    grpc::ClientContext ctx;
    Authorize(ctx, token);
    return (stub.*fn)(&ctx, req, resp);
  }
  template <typename Req, typename Resp, typename Fn>
  static grpc::Status F(const std::string& token, Fn fn, const Req& req, Resp* resp) {
    return Call(forecast_->stub(), token, fn, req, resp);
  }

  // A published plan for the current quarter: the product line → the team → its two reps.
  static void PublishPlan() {
    auto& t = targets_->stub();
    const absl::CivilDay today = absl::ToCivilDay(absl::Now(), Shanghai());
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
    req.mutable_plan()->mutable_total()->set_amount_minor(kTeamTarget);
    req.mutable_plan()->mutable_total()->set_currency_code("CNY");
    req.mutable_plan()->set_attainment_basis(tv1::ATTAINMENT_BASIS_BOOKING);
    req.set_plan_id(Id("plan"));
    tv1::CreatePlanResponse plan;
    grpc::Status s;
    ASSERT_TRUE(Eventually([&] {
      s = Call(t, Director(), &tv1::TargetsService::Stub::CreatePlan, req, &plan);
      return s.ok() || ErrorReasonOf(s) != "ORG_UNIT_NOT_FOUND";
    }));
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
      // Until the targets service's directory has the units (INVALID_ARGUMENT: not a
      // known team) and the team's members (TEAM_HAS_NO_MEMBERS) from org's events.
      EXPECT_TRUE(Eventually([&] {
        st = Call(t, token, &tv1::TargetsService::Stub::AllocatePlan, a, out);
        return st.ok() || (st.error_code() != grpc::StatusCode::INVALID_ARGUMENT &&
                           ErrorReasonOf(st) != "TEAM_HAS_NO_MEMBERS");
      }));
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

  cv1::Customer NewCustomer(const std::string& id, const std::string& owner) {
    cv1::CreateCustomerRequest req;
    req.set_customer_id(id);
    req.mutable_customer()->set_display_name("华东精密制造" + id);
    req.mutable_customer()->set_tax_id("91310000" + UniqueSuffix());
    req.mutable_customer()->set_customer_type("enterprise");
    req.mutable_customer()->mutable_tags()->set_industry("manufacturing");
    req.mutable_customer()->set_owner("members/" + Id(owner));
    cv1::CreateCustomerResponse resp;
    grpc::Status s;
    EXPECT_TRUE(Eventually([&] {  // until the customers service knows the org
      s = Call(customers_->stub(), Rep(owner), &cv1::CustomersService::Stub::CreateCustomer, req,
               &resp);
      return s.ok();
    })) << s.error_message();
    return resp.customer();
  }

  // An opportunity of `owner` for `amount`, moved up to `stage` one step at a time.
  cv1::Opportunity Deal(const std::string& owner, const cv1::Customer& c, int64_t amount,
                        cv1::OpportunityStage stage) {
    cv1::CreateOpportunityRequest req;
    req.mutable_opportunity()->set_customer(c.name());
    req.mutable_opportunity()->set_display_name("年度采购项目");
    req.mutable_opportunity()->mutable_amount()->set_amount_minor(amount);
    req.mutable_opportunity()->mutable_amount()->set_currency_code("CNY");
    req.mutable_opportunity()->set_product_line("orgUnits/" + Id("pl"));
    req.mutable_opportunity()->set_channel("direct");
    cv1::CreateOpportunityResponse resp;
    grpc::Status s;
    EXPECT_TRUE(Eventually([&] {  // until the customers service knows the product line
      s = Call(customers_->stub(), Rep(owner), &cv1::CustomersService::Stub::CreateOpportunity, req,
               &resp);
      return s.ok() || ErrorReasonOf(s) != "UNKNOWN_PRODUCT_LINE";
    }));
    EXPECT_TRUE(s.ok()) << s.error_message();
    cv1::Opportunity o = resp.opportunity();
    for (int st = cv1::OPPORTUNITY_STAGE_QUALIFIED; st <= stage; ++st) {
      EXPECT_TRUE(Move(owner, o, static_cast<cv1::OpportunityStage>(st)).ok());
    }
    return o;
  }
  grpc::Status Move(const std::string& owner, cv1::Opportunity& o, cv1::OpportunityStage stage) {
    cv1::ChangeOpportunityStageRequest req;
    req.set_name(o.name());
    req.set_etag(o.etag());
    req.set_stage(stage);
    cv1::ChangeOpportunityStageResponse resp;
    grpc::Status s = Call(customers_->stub(), Rep(owner),
                          &cv1::CustomersService::Stub::ChangeOpportunityStage, req, &resp);
    if (s.ok()) {
      o = resp.opportunity();
    }
    return s;
  }

  static std::optional<fv1::Forecast> TeamForecast(const std::string& team,
                                                   fv1::ForecastCategory category,
                                                   const std::string& token) {
    fv1::GetForecastRequest req;
    req.mutable_scope()->set_org_unit("orgUnits/" + Id(team));
    req.set_period("fiscalPeriods/" + Id("q"));
    req.set_category(category);
    fv1::GetForecastResponse resp;
    if (!F(token, &fv1::ForecastService::Stub::GetForecast, req, &resp).ok()) {
      return std::nullopt;
    }
    return resp.forecast();
  }

  static inline std::string* sfx_ = nullptr;
  static inline std::string* clock_file_ = nullptr;
  static inline absl::Duration offset_;
  static inline OrgServer* org_ = nullptr;
  static inline CustomersServer* customers_ = nullptr;
  static inline TargetsServer* targets_ = nullptr;
  static inline ForecastServer* forecast_ = nullptr;
  static inline WarningServer* warning_ = nullptr;
};

// A won deal moves the team's forecast and its gap to target, with a
// ForecastUpdated naming the win as its cause; the gap below target raises a
// forecast-gap warning to the team's supervisor, and more wins that close the
// gap resolve it (ForecastGapClosed, then WarningResolved).
TEST_F(ForecastTest, AWonDealMovesTheTeamForecastAndTheGapWarningFollows) {
  const TestEnv& env = TestEnv::Get();
  TopicReader forecasts(env.kafka_bootstrap, kForecastTopic);
  TopicReader gap_events(env.kafka_bootstrap, kForecastTopic);  // read separately
  TopicReader warnings(env.kafka_bootstrap, kWarningTopic);
  TopicReader deals(env.kafka_bootstrap, kCustomersTopic);

  const cv1::Customer c = NewCustomer(Id("c1"), "r1");
  cv1::Opportunity small = Deal("r1", c, 200'000'00, cv1::OPPORTUNITY_STAGE_CONTRACT);
  // The team's forecast counts the open deal, with the plan's target.
  std::optional<fv1::Forecast> before;
  ASSERT_TRUE(Eventually([&] {
    before = TeamForecast("team", fv1::FORECAST_CATEGORY_PIPELINE, Sup());
    return before && before->open_pipeline().amount_minor() == 200'000'00 &&
           before->target().amount_minor() == kTeamTarget;
  })) << forecast_->Logs();
  EXPECT_EQ(before->closed_to_date().amount_minor(), 0);
  EXPECT_LE(before->amount().amount_minor(), 200'000'00);
  EXPECT_EQ(before->gap_to_target().amount_minor(), kTeamTarget - before->amount().amount_minor());
  EXPECT_EQ(before->scope().level(), fv1::FORECAST_LEVEL_TEAM);

  // Win it: the forecast moves at once.
  const absl::Time won_at = absl::Now();
  ASSERT_TRUE(Move("r1", small, cv1::OPPORTUNITY_STAGE_WON).ok());
  std::vector<Record> won_records = deals.ReadUntil(
      [&](const Record& r) {
        cv1::OpportunityWon w;
        return Decode(r, "salesops.customers.v1.OpportunityWon", &w) &&
               w.opportunity() == small.name();
      },
      1, absl::Seconds(30));
  ASSERT_EQ(won_records.size(), 1u);
  const std::string won_id = won_records[0].headers.at("ce_id");
  const std::string team_name =
      absl::StrCat("forecasts/", Id("q"), "~", Id("team"), "~_~_~pipeline");
  std::vector<Record> updated = forecasts.ReadUntil(
      [&](const Record& r) {
        fv1::ForecastUpdated u;
        return Decode(r, "salesops.forecast.v1.ForecastUpdated", &u) &&
               u.forecast().name() == team_name && u.cause_event_id() == won_id;
      },
      1, absl::Seconds(30));
  ASSERT_EQ(updated.size(), 1u) << forecast_->Logs();
  const absl::Duration latency = absl::Now() - won_at;
  fv1::ForecastUpdated u;
  ASSERT_TRUE(u.ParseFromString(updated[0].value));
  EXPECT_EQ(u.forecast().closed_to_date().amount_minor(), 200'000'00);
  EXPECT_EQ(u.forecast().amount().amount_minor(), 200'000'00);
  EXPECT_LE(u.previous_amount().amount_minor(), 200'000'00);  // the open deal, weighted
  EXPECT_EQ(u.forecast().gap_to_target().amount_minor(), kTeamTarget - 200'000'00);
  std::printf("won deal → team ForecastUpdated on the topic: %.0f ms\n",
              absl::ToDoubleMilliseconds(latency));
  // The region and the company moved with it (parents are sums of children).
  fv1::RollUpRequest roll;
  roll.set_org_unit("orgUnits/" + Id("east"));
  roll.set_period("fiscalPeriods/" + Id("q"));
  roll.set_category(fv1::FORECAST_CATEGORY_PIPELINE);
  fv1::RollUpResponse rolled;
  ASSERT_TRUE(F(Mgr(), &fv1::ForecastService::Stub::RollUp, roll, &rolled).ok());
  int64_t sum = 0;
  for (const fv1::Forecast& child : rolled.children()) {
    sum += child.amount().amount_minor();
  }
  EXPECT_EQ(rolled.total().amount().amount_minor(), sum);
  EXPECT_GE(rolled.total().closed_to_date().amount_minor(), 200'000'00);

  // 80% short of target, 20+ days into the quarter: the warning engine raises
  // the forecast-gap warning for the team, to its supervisor.
  const std::string team_subject = "orgUnits/" + Id("team");
  auto gap_warning = [&](const Record& r) {
    wv1::WarningRaised e;
    return Decode(r, "salesops.warning.v1.WarningRaised", &e) &&
           e.warning().rule() == "rules/forecast-gap" && e.warning().subject() == team_subject;
  };
  std::vector<Record> raised = warnings.ReadUntil(gap_warning, 1, absl::Seconds(60));
  ASSERT_EQ(raised.size(), 1u) << warning_->Logs();
  wv1::WarningRaised r;
  ASSERT_TRUE(r.ParseFromString(raised[0].value));
  EXPECT_EQ(r.warning().condition(), wv1::CONDITION_KIND_FORECAST_GAP);
  EXPECT_EQ(r.warning().responsible_supervisor(), "members/" + Id("sup"));
  EXPECT_EQ(r.warning().period(), "fiscalPeriods/" + Id("q"));
  std::vector<Record> detected = gap_events.ReadUntil(
      [&](const Record& rec) {
        fv1::ForecastGapDetected g;
        return Decode(rec, "salesops.forecast.v1.ForecastGapDetected", &g) &&
               g.forecast() == team_name;
      },
      1, absl::Seconds(10));
  EXPECT_EQ(detected.size(), 1u);

  // r2 wins 850,000: the team reaches 1,050,000 against 1,000,000 — the gap closes.
  const cv1::Customer c2 = NewCustomer(Id("c2"), "r2");
  cv1::Opportunity big = Deal("r2", c2, 850'000'00, cv1::OPPORTUNITY_STAGE_CONTRACT);
  ASSERT_TRUE(Move("r2", big, cv1::OPPORTUNITY_STAGE_WON).ok());
  std::vector<Record> closed = gap_events.ReadUntil(
      [&](const Record& rec) {
        fv1::ForecastGapClosed g;
        return Decode(rec, "salesops.forecast.v1.ForecastGapClosed", &g) &&
               g.forecast() == team_name;
      },
      1, absl::Seconds(30));
  ASSERT_EQ(closed.size(), 1u) << forecast_->Logs();
  std::vector<Record> resolved = warnings.ReadUntil(
      [&](const Record& rec) {
        wv1::WarningResolved e;
        return Decode(rec, "salesops.warning.v1.WarningResolved", &e) &&
               e.warning().name() == r.warning().name();
      },
      1, absl::Seconds(60));
  ASSERT_EQ(resolved.size(), 1u) << warning_->Logs();
  std::optional<fv1::Forecast> after = TeamForecast("team", fv1::FORECAST_CATEGORY_PIPELINE, Sup());
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->closed_to_date().amount_minor(), 1'050'000'00);
  EXPECT_FALSE(after->gap_detected());

  // Who sees it: not another team's supervisor, not a rep.
  EXPECT_FALSE(TeamForecast("team", fv1::FORECAST_CATEGORY_PIPELINE, Sup2()).has_value());
  EXPECT_FALSE(TeamForecast("team", fv1::FORECAST_CATEGORY_PIPELINE, Rep("r1")).has_value());
  EXPECT_TRUE(TeamForecast("team", fv1::FORECAST_CATEGORY_PIPELINE, Mgr()).has_value());
}

// A deal event delivered again (same ce_source and ce_id) changes nothing; a
// poison record lands on the dead-letter topic and the consumer goes on.
TEST_F(ForecastTest, RedeliveredEventChangesNothingAndPoisonIsDeadLettered) {
  const TestEnv& env = TestEnv::Get();
  TopicReader deals(env.kafka_bootstrap, kCustomersTopic);
  TopicReader dlq(env.kafka_bootstrap, kForecastDlq);
  const cv1::Customer c = NewCustomer(Id("c3"), "r3");
  cv1::Opportunity o = Deal("r3", c, 300'000'00, cv1::OPPORTUNITY_STAGE_NEGOTIATION);
  ASSERT_TRUE(Move("r3", o, cv1::OPPORTUNITY_STAGE_CONTRACT).ok());
  ASSERT_TRUE(Move("r3", o, cv1::OPPORTUNITY_STAGE_WON).ok());
  std::vector<Record> won = deals.ReadUntil(
      [&](const Record& r) {
        cv1::OpportunityWon w;
        return Decode(r, "salesops.customers.v1.OpportunityWon", &w) && w.opportunity() == o.name();
      },
      1, absl::Seconds(30));
  ASSERT_EQ(won.size(), 1u);
  ASSERT_TRUE(Eventually([&] {
    std::optional<fv1::Forecast> f = TeamForecast("team2", fv1::FORECAST_CATEGORY_COMMIT, Sup2());
    return f && f->closed_to_date().amount_minor() == 300'000'00;
  })) << forecast_->Logs();

  // The same record again (as a broker redelivery would), then a poison
  // record, then a marker deal whose effect shows the consumer got past both.
  std::vector<std::pair<std::string, std::string>> headers(won[0].headers.begin(),
                                                           won[0].headers.end());
  ASSERT_TRUE(
      ProduceRaw(env.kafka_bootstrap, kCustomersTopic, won[0].key, won[0].value, headers).ok());
  ASSERT_TRUE(ProduceRaw(env.kafka_bootstrap, kCustomersTopic, "poison", "not protobuf",
                         {{"ce_specversion", "1.0"},
                          {"ce_id", "poison-" + *sfx_},
                          {"ce_source", "/salesops/customers"},
                          {"ce_type", "salesops.customers.v1.OpportunityWon"},
                          {"ce_time", "2026-11-27T00:00:00Z"},
                          {"content-type", "application/protobuf"}})
                  .ok());
  std::vector<Record> dead = dlq.ReadUntil(
      [&](const Record& r) {
        auto it = r.headers.find("ce_id");
        return it != r.headers.end() && it->second == "poison-" + *sfx_;
      },
      1, absl::Seconds(60));
  EXPECT_EQ(dead.size(), 1u) << forecast_->Logs();
  cv1::Opportunity marker = Deal("r3", c, 10'000'00, cv1::OPPORTUNITY_STAGE_CONTRACT);
  ASSERT_TRUE(Move("r3", marker, cv1::OPPORTUNITY_STAGE_WON).ok());
  ASSERT_TRUE(Eventually([&] {
    std::optional<fv1::Forecast> f = TeamForecast("team2", fv1::FORECAST_CATEGORY_COMMIT, Sup2());
    return f && f->closed_to_date().amount_minor() != 300'000'00;
  })) << forecast_->Logs();
  std::optional<fv1::Forecast> f = TeamForecast("team2", fv1::FORECAST_CATEGORY_COMMIT, Sup2());
  EXPECT_EQ(f->closed_to_date().amount_minor(), 310'000'00) << "the redelivered win counted once";
}

// Calls side by side with the model: the rep's own number and the manager's
// adjustment show on the forecast; a retried request_id makes one call.
TEST_F(ForecastTest, CallsSitNextToTheModel) {
  // team2's forecast exists once its rep has an open deal (the test makes its
  // own rather than rely on another test's): calls sit next to it.
  const cv1::Customer c = NewCustomer(Id("c4"), "r3");
  Deal("r3", c, 50'000'00, cv1::OPPORTUNITY_STAGE_CONTRACT);
  ASSERT_TRUE(Eventually([&] {
    return TeamForecast("team2", fv1::FORECAST_CATEGORY_COMMIT, Sup2()).has_value();
  })) << forecast_->Logs();
  fv1::SubmitForecastCallRequest req;
  req.mutable_call()->mutable_scope()->set_org_unit("orgUnits/" + Id("team2"));
  req.mutable_call()->set_period("fiscalPeriods/" + Id("q"));
  req.mutable_call()->set_category(fv1::FORECAST_CATEGORY_COMMIT);
  req.mutable_call()->mutable_amount()->set_amount_minor(400'000'00);
  req.set_kind(fv1::FORECAST_CALL_KIND_SUBMITTED);
  req.set_request_id("call-" + *sfx_);
  fv1::SubmitForecastCallResponse a, b;
  ASSERT_TRUE(F(Sup2(), &fv1::ForecastService::Stub::SubmitForecastCall, req, &a).ok());
  ASSERT_TRUE(F(Sup2(), &fv1::ForecastService::Stub::SubmitForecastCall, req, &b).ok());
  EXPECT_EQ(a.call().name(), b.call().name());
  EXPECT_EQ(b.call().etag(), "1");
  req.set_kind(fv1::FORECAST_CALL_KIND_ADJUSTED);
  req.set_request_id("adj-" + *sfx_);
  req.mutable_call()->mutable_amount()->set_amount_minor(350'000'00);
  EXPECT_EQ(F(Sup2(), &fv1::ForecastService::Stub::SubmitForecastCall, req, &a).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(F(Mgr(), &fv1::ForecastService::Stub::SubmitForecastCall, req, &a).ok());
  std::optional<fv1::Forecast> f;
  ASSERT_TRUE(Eventually([&] {
    f = TeamForecast("team2", fv1::FORECAST_CATEGORY_COMMIT, Sup2());
    return f.has_value();
  }));
  EXPECT_EQ(f->submitted_call().amount_minor(), 400'000'00);
  EXPECT_EQ(f->adjusted_call().amount_minor(), 350'000'00);
  // Bad input names the field.
  req.mutable_call()->mutable_amount()->set_amount_minor(-1);
  grpc::Status bad = F(Mgr(), &fv1::ForecastService::Stub::SubmitForecastCall, req, &a);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFieldOf(bad), "call.amount.amount_minor");
}

}  // namespace
}  // namespace salesops::testing
