// The targets service over gRPC against real Redis and Kafka, with the real
// org service feeding its org directory: a quarterly plan decomposed from the
// company total to a product line, a team and its reps with exact sums at every
// level; bad input and locked cells naming the field or rule; publishing by
// role; and attainment moved exactly once by a won opportunity, also when the
// event is delivered again.
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/events/cloud_event.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/org/v1/org_service.grpc.pb.h"
#include "salesops/targets/v1/targets_events.pb.h"
#include "services/targets/store/targets_store.h"
#include "tests/integration/customers_env.h"
#include "tests/integration/directory_barrier.h"
#include "tests/integration/targets_env.h"

namespace salesops::testing {
namespace {

namespace tv1 = salesops::targets::v1;
namespace ov1 = salesops::org::v1;
namespace cv1 = salesops::customers::v1;

// A won deal as the customers service publishes it (today, CNY).
CloudEvent WonDeal(const std::string& id, const std::string& rep, const std::string& team,
                   const std::string& region, const std::string& pl, int64_t amount);

class TargetsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    org_ = new OrgServer();
    org_->Start();
    server_ = new TargetsServer();
    server_->Start();
  }
  // Every test gets its own org chart (ids with a fresh suffix), so bookings,
  // moves and plans of one test never reach another: the tests pass in any
  // order and alone.
  void SetUp() override {
    sfx_ = UniqueSuffix();
    DirectoryBarrier barrier(targets::kKeyPrefix);
    auto unit = [&barrier](const std::string& id, ov1::OrgUnitKind kind,
                           const std::string& parent) {
      CreateOrgUnit(*org_, id, kind, parent);
      barrier.Unit(id, parent);
    };
    auto member = [&barrier](const std::string& id, ov1::Role role, const std::string& team) {
      CreateMember(*org_, id, role, team);
      barrier.Member(id, team);
    };
    unit(Id("co"), ov1::ORG_UNIT_KIND_COMPANY, "");
    unit(Id("east"), ov1::ORG_UNIT_KIND_REGION, Id("co"));
    unit(Id("team"), ov1::ORG_UNIT_KIND_TEAM, Id("east"));
    unit(Id("empty"), ov1::ORG_UNIT_KIND_TEAM, Id("east"));
    unit(Id("pl"), ov1::ORG_UNIT_KIND_PRODUCT_LINE, Id("co"));
    member(Id("sup"), ov1::ROLE_SUPERVISOR, Id("team"));
    member(Id("r1"), ov1::ROLE_REP, Id("team"));
    member(Id("r2"), ov1::ROLE_REP, Id("team"));
    member(Id("r3"), ov1::ROLE_REP, Id("team"));
    unit(Id("team2"), ov1::ORG_UNIT_KIND_TEAM, Id("east"));
    member(Id("r4"), ov1::ROLE_REP, Id("team2"));
    // Roll-ups: a region with its own team and three more product lines.
    unit(Id("south"), ov1::ORG_UNIT_KIND_REGION, Id("co"));
    unit(Id("team3"), ov1::ORG_UNIT_KIND_TEAM, Id("south"));
    member(Id("r5"), ov1::ROLE_REP, Id("team3"));
    member(Id("r6"), ov1::ROLE_REP, Id("team3"));
    member(Id("sup3"), ov1::ROLE_SUPERVISOR, Id("team3"));
    for (const char* pl : {"pla", "plb", "plc", "pld"}) {
      unit(Id(pl), ov1::ORG_UNIT_KIND_PRODUCT_LINE, Id("co"));
    }
    // The targets service learns the chart from events, each unit and member
    // on its own partition: a test that runs first must not meet a team whose
    // members are not known yet.
    ASSERT_TRUE(barrier.Wait()) << server_->Logs();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete org_;
  }
  std::string Id(const std::string& base) { return base + "-" + sfx_; }

  tv1::TargetsService::Stub& stub() { return server_->stub(); }
  std::string Director() { return Token(Role::kDirector, "dir", Id("co")); }
  std::string Admin() { return Token(Role::kAdmin, "admin", ""); }
  std::string Sup() { return Token(Role::kSupervisor, Id("sup"), Id("team")); }
  std::string Rep(const std::string& r) { return Token(Role::kRep, Id(r), Id("team")); }

  template <typename Req, typename Resp, typename Fn>
  grpc::Status Call(const std::string& token, Fn fn, const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    Authorize(ctx, token);
    return (stub().*fn)(&ctx, req, resp);
  }

  // The quarter containing today, in a fiscal year starting in January.
  std::string CurrentQuarter() {
    const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
    const int q = (today.month() - 1) / 3 + 1;
    tv1::CreateFiscalPeriodRequest req;
    auto* p = req.mutable_fiscal_period();
    p->set_display_name(absl::StrCat(today.year(), "财年第", q, "季度"));
    p->set_kind(tv1::FISCAL_PERIOD_KIND_QUARTER);
    p->set_fiscal_year(static_cast<int>(today.year()));
    p->set_number(q);
    p->set_fiscal_year_start_month(1);
    req.set_fiscal_period_id(Id("q"));
    tv1::CreateFiscalPeriodResponse resp;
    grpc::Status s = Call(Admin(), &tv1::TargetsService::Stub::CreateFiscalPeriod, req, &resp);
    EXPECT_TRUE(s.ok() || s.error_code() == grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
    return "fiscalPeriods/" + Id("q");
  }

  tv1::TargetPlan NewPlan(const std::string& id, int64_t total) {
    tv1::CreatePlanRequest req;
    auto* p = req.mutable_plan();
    p->set_display_name("季度目标");
    p->set_period(CurrentQuarter());
    p->set_scope("orgUnits/" + Id("co"));
    p->mutable_total()->set_amount_minor(total);
    p->mutable_total()->set_currency_code("CNY");
    p->set_attainment_basis(tv1::ATTAINMENT_BASIS_BOOKING);
    req.set_plan_id(id);
    tv1::CreatePlanResponse resp;
    grpc::Status s;
    // The directory learns the company from org events: retry briefly.
    for (int i = 0; i < 100; ++i) {
      s = Call(Director(), &tv1::TargetsService::Stub::CreatePlan, req, &resp);
      if (s.ok() || ErrorReasonOf(s) != "ORG_UNIT_NOT_FOUND") {
        break;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.plan();
  }

  grpc::Status Allocate(const std::string& token, const std::string& plan,
                        const std::string& parent, tv1::AllocationAxis axis,
                        tv1::AllocationMethod method,
                        const std::vector<std::pair<std::string, int64_t>>& inputs,
                        tv1::AllocatePlanResponse* resp, bool lock = false) {
    tv1::AllocatePlanRequest req;
    req.set_plan(plan);
    req.set_parent_cell(parent);
    req.set_axis(axis);
    req.set_method(method);
    for (const auto& [key, amount] : inputs) {
      auto* in = req.add_inputs();
      in->set_key(key);
      if (amount > 0 || lock) {
        in->mutable_amount()->set_amount_minor(amount);
        in->mutable_amount()->set_currency_code("CNY");
        in->set_locked(lock);
      }
    }
    grpc::Status s;
    for (int i = 0; i < 100; ++i) {  // wait for the directory to know the units
      s = Call(token, &tv1::TargetsService::Stub::AllocatePlan, req, resp);
      const bool unit_key = !inputs.empty() && inputs[0].first.find('/') != std::string::npos;
      if (s.ok() || !unit_key || ViolatedFieldOf(s).rfind("inputs[", 0) != 0 || i > 50) {
        break;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
    return s;
  }

  static inline OrgServer* org_ = nullptr;
  static inline TargetsServer* server_ = nullptr;
  std::string sfx_;
};

TEST_F(TargetsTest, DecomposesTheCompanyTotalToRepsWithExactSumsAtEveryLevel) {
  tv1::TargetPlan plan = NewPlan(Id("plan-a"), 1'000'000'01);  // ¥1,000,000.01: not divisible by 3
  const std::string name = plan.name();
  tv1::AllocatePlanResponse pl, team, reps;
  ASSERT_TRUE(Allocate(Director(), name, "", tv1::ALLOCATION_AXIS_PRODUCT_LINE,
                       tv1::ALLOCATION_METHOD_EQUAL, {{"orgUnits/" + Id("pl"), 0}}, &pl)
                  .ok());
  ASSERT_EQ(pl.cells_size(), 1);
  ASSERT_TRUE(Allocate(Director(), name, pl.cells(0).name(), tv1::ALLOCATION_AXIS_TEAM,
                       tv1::ALLOCATION_METHOD_CAPACITY_WEIGHTED, {{"orgUnits/" + Id("team"), 0}},
                       &team)
                  .ok());
  ASSERT_EQ(team.cells_size(), 1);
  // Supervisors allocate within their team: all its reps, equally.
  grpc::Status s;
  for (int i = 0; i < 100; ++i) {
    s = Allocate(Sup(), name, team.cells(0).name(), tv1::ALLOCATION_AXIS_REP,
                 tv1::ALLOCATION_METHOD_EQUAL, {}, &reps);
    if (s.ok() && reps.cells_size() == 3) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(200));  // the third rep may not be known yet
  }
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(reps.cells_size(), 3);
  int64_t sum = 0;
  for (const auto& c : reps.cells()) {
    sum += c.amount().amount_minor();
    int64_t months = 0;
    for (const auto& m : c.monthly_amounts()) {
      months += m.amount().amount_minor();
    }
    EXPECT_EQ(months, c.amount().amount_minor()) << "monthly phasing sums exactly";
    EXPECT_EQ(c.monthly_amounts_size(), 3);
  }
  EXPECT_EQ(sum, 1'000'000'01);
  EXPECT_EQ(team.cells(0).amount().amount_minor(), 1'000'000'01);
  // Largest remainder: two reps get 33333334, one 33333333 (deterministic by key).
  std::vector<int64_t> parts;
  for (const auto& c : reps.cells()) {
    parts.push_back(c.amount().amount_minor());
  }
  std::sort(parts.begin(), parts.end());
  EXPECT_EQ(parts, (std::vector<int64_t>{33333333, 33333334, 33333334}));

  // Locked cells: kept exactly; the rest shares the remainder.
  tv1::AllocatePlanResponse locked;
  ASSERT_TRUE(Allocate(Sup(), name, team.cells(0).name(), tv1::ALLOCATION_AXIS_REP,
                       tv1::ALLOCATION_METHOD_MANUAL,
                       {{"members/" + Id("r1"), 50'000'000},
                        {"members/" + Id("r2"), 30'000'000},
                        {"members/" + Id("r3"), 20'000'001}},
                       &locked, true)
                  .ok());
  s = Allocate(
      Sup(), name, team.cells(0).name(), tv1::ALLOCATION_AXIS_REP, tv1::ALLOCATION_METHOD_MANUAL,
      {{"members/" + Id("r1"), 90'000'000}, {"members/" + Id("r2"), 30'000'000}}, &locked, true);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReasonOf(s), "LOCKED_EXCEEDS_TOTAL");
}

TEST_F(TargetsTest, BadInputNamesTheFieldOrRule) {
  tv1::CreatePlanRequest req;
  req.mutable_plan()->set_display_name("x");
  req.mutable_plan()->set_period("fiscalPeriods/none-" + sfx_);
  req.mutable_plan()->set_scope("orgUnits/" + Id("co"));
  req.mutable_plan()->mutable_total()->set_amount_minor(-1);
  req.mutable_plan()->mutable_total()->set_currency_code("CNY");
  req.mutable_plan()->set_attainment_basis(tv1::ATTAINMENT_BASIS_BOOKING);
  tv1::CreatePlanResponse resp;
  grpc::Status s = Call(Director(), &tv1::TargetsService::Stub::CreatePlan, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFieldOf(s), "plan.total.amount_minor");
  req.mutable_plan()->mutable_total()->set_amount_minor(100);
  s = Call(Director(), &tv1::TargetsService::Stub::CreatePlan, req, &resp);
  EXPECT_EQ(ViolatedFieldOf(s), "plan.period");

  tv1::TargetPlan plan = NewPlan(Id("plan-bad"), 900);
  tv1::AllocatePlanResponse out;
  s = Allocate(Director(), plan.name(), "", tv1::ALLOCATION_AXIS_CHANNEL,
               tv1::ALLOCATION_METHOD_EQUAL, {{"carrier_pigeon", 0}}, &out);
  EXPECT_EQ(ViolatedFieldOf(s), "inputs[0].key");
  s = Allocate(Director(), plan.name(), "", tv1::ALLOCATION_AXIS_TEAM, tv1::ALLOCATION_METHOD_EQUAL,
               {{"orgUnits/" + Id("empty"), 0}}, &out);
  EXPECT_EQ(ErrorReasonOf(s), "TEAM_HAS_NO_MEMBERS") << s.error_message();
  tv1::AllocatePlanRequest zero;
  zero.set_plan(plan.name());
  zero.set_axis(tv1::ALLOCATION_AXIS_CHANNEL);
  zero.set_method(tv1::ALLOCATION_METHOD_CAPACITY_WEIGHTED);
  auto* in = zero.add_inputs();
  in->set_key("direct");
  in->set_weight(0);
  s = Call(Director(), &tv1::TargetsService::Stub::AllocatePlan, zero, &out);
  EXPECT_EQ(ErrorReasonOf(s), "ALL_WEIGHTS_ZERO") << s.error_message();
  // A supervisor may not publish the company plan.
  tv1::PublishPlanRequest pub;
  pub.set_name(plan.name());
  tv1::PublishPlanResponse pubr;
  EXPECT_EQ(Call(Sup(), &tv1::TargetsService::Stub::PublishPlan, pub, &pubr).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(TargetsTest, AWonOpportunityMovesAttainmentExactlyOnceEvenWhenRedelivered) {
  const TestEnv& env = TestEnv::Get();
  tv1::TargetPlan plan = NewPlan(Id("plan-live"), 3'000'000);
  tv1::AllocatePlanResponse pl, team, reps;
  ASSERT_TRUE(Allocate(Director(), plan.name(), "", tv1::ALLOCATION_AXIS_PRODUCT_LINE,
                       tv1::ALLOCATION_METHOD_EQUAL, {{"orgUnits/" + Id("pl"), 0}}, &pl)
                  .ok());
  ASSERT_TRUE(Allocate(Director(), plan.name(), pl.cells(0).name(), tv1::ALLOCATION_AXIS_TEAM,
                       tv1::ALLOCATION_METHOD_EQUAL, {{"orgUnits/" + Id("team"), 0}}, &team)
                  .ok());
  ASSERT_TRUE(
      Allocate(Sup(), plan.name(), team.cells(0).name(), tv1::ALLOCATION_AXIS_REP,
               tv1::ALLOCATION_METHOD_EQUAL,
               {{"members/" + Id("r1"), 0}, {"members/" + Id("r2"), 0}, {"members/" + Id("r3"), 0}},
               &reps)
          .ok());
  TopicReader targets_topic(env.kafka_bootstrap, "salesops.targets.events.v1");
  tv1::PublishPlanRequest pub;
  pub.set_name(plan.name());
  tv1::PublishPlanResponse pubr;
  ASSERT_TRUE(Call(Director(), &tv1::TargetsService::Stub::PublishPlan, pub, &pubr).ok());
  EXPECT_EQ(pubr.plan().state(), tv1::PLAN_STATE_PUBLISHED);

  cv1::OpportunityWon won;
  won.set_opportunity("opportunities/" + Id("o1"));
  won.set_customer("customers/" + Id("c1"));
  won.set_owner("members/" + Id("r1"));
  won.set_team("orgUnits/" + Id("team"));
  won.set_region("orgUnits/" + Id("east"));
  won.set_product_line("orgUnits/" + Id("pl"));
  won.set_channel("direct");
  won.set_customer_type("enterprise");
  won.mutable_amount()->set_amount_minor(250'000);
  won.mutable_amount()->set_currency_code("CNY");
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
  won.mutable_won_date()->set_year(static_cast<int>(today.year()));
  won.mutable_won_date()->set_month(today.month());
  won.mutable_won_date()->set_day(today.day());
  CloudEvent e =
      MakeCloudEvent("/salesops/customers", Id("c1"), won.opportunity(), won, absl::Now());
  ASSERT_TRUE(ProduceRaw(env.kafka_bootstrap, "salesops.customers.events.v1", e.key, e.data,
                         ToKafkaHeaders(e))
                  .ok());
  tv1::GetAttainmentRequest get;
  get.set_plan(plan.name());
  get.set_subject("members/" + Id("r1"));
  tv1::GetAttainmentResponse att;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(Call(Rep("r1"), &tv1::TargetsService::Stub::GetAttainment, get, &att).ok());
    if (att.attainment().actual().amount_minor() > 0) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(att.attainment().actual().amount_minor(), 250'000);
  EXPECT_EQ(att.attainment().target().amount_minor(), 1'000'000);
  EXPECT_EQ(att.attainment().attainment_basis_points(), 2500);
  // Delivered again (same source and id), then a marker deal of ¥100 on the
  // same key (same partition, so handled after the copy): once the marker is
  // counted, the copy has been handled, and it changed nothing. Both in one
  // produce request, so the consumer takes them as one batch (its waves).
  cv1::OpportunityWon marker_won = won;
  marker_won.set_opportunity("opportunities/" + Id("o1-marker"));
  marker_won.mutable_amount()->set_amount_minor(10'000);
  CloudEvent marker = MakeCloudEvent("/salesops/customers", Id("c1"), marker_won.opportunity(),
                                     marker_won, absl::Now());
  ASSERT_EQ(marker.key, e.key);
  const std::string in_waves = R"(salesops_attainment_wave_events_total{service="targets"})";
  const double in_waves_before = MetricValue(server_->metrics_port(), in_waves);
  ASSERT_GE(in_waves_before, 0) << "the series is on /metrics";
  ASSERT_TRUE(ProduceRawMany(env.kafka_bootstrap, "salesops.customers.events.v1",
                             {{e.key, e.data, ToKafkaHeaders(e)},
                              {marker.key, marker.data, ToKafkaHeaders(marker)}})
                  .ok());
  for (int i = 0; i < 150; ++i) {
    ASSERT_TRUE(Call(Rep("r1"), &tv1::TargetsService::Stub::GetAttainment, get, &att).ok());
    if (att.attainment().actual().amount_minor() >= 260'000) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(att.attainment().actual().amount_minor(), 260'000) << "a redelivered event counts once";
  get.set_subject("orgUnits/" + Id("team"));
  ASSERT_TRUE(Call(Sup(), &tv1::TargetsService::Stub::GetAttainment, get, &att).ok());
  EXPECT_EQ(att.attainment().actual().amount_minor(), 260'000);
  EXPECT_EQ(att.attainment().level(), tv1::ATTAINMENT_LEVEL_TEAM);
  // A rep reads their own figures, not a colleague's.
  get.set_subject("members/" + Id("r1"));
  EXPECT_EQ(Call(Rep("r2"), &tv1::TargetsService::Stub::GetAttainment, get, &att).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // AttainmentUpdated for the rep's roll-up carries the cause; the plan's
  // updates share a key, so the marker's comes after any the copy caused.
  auto rep_update = [&](const Record& r, const std::string& cause) {
    if (EventType(r) != "salesops.targets.v1.AttainmentUpdated") {
      return false;
    }
    // Other tests' published plans (other companies on the same server) may
    // note the deal as unplanned: only this plan's update counts here.
    tv1::AttainmentUpdated u;
    return u.ParseFromString(r.value) && u.plan() == plan.name() &&
           u.subject() == "members/" + Id("r1") && u.cause_event_id() == cause;
  };
  std::vector<Record> caused_by_deal;
  auto events = targets_topic.ReadUntil(
      [&](const Record& r) {
        if (rep_update(r, e.id)) {
          caused_by_deal.push_back(r);
        }
        return rep_update(r, marker.id);
      },
      1, absl::Seconds(30));
  ASSERT_EQ(events.size(), 1u) << "the marker's update";
  ASSERT_EQ(caused_by_deal.size(), 1u) << "once, even though the deal was delivered twice";
  tv1::AttainmentUpdated u;
  ASSERT_TRUE(u.ParseFromString(caused_by_deal[0].value));
  EXPECT_EQ(u.level(), tv1::ATTAINMENT_LEVEL_REP);
  EXPECT_EQ(u.actual().amount_minor(), 250'000);
  EXPECT_EQ(u.target().amount_minor(), 1'000'000);
  // The copy and the marker went through the consumer's batched path (a
  // wave; the copy skipped as seen), as the service's own Redis user: a read
  // that user may not make (MGET once) sends every event the slow way, one at
  // a time, to the same figures.
  // (The counter moves just after the commit the figures above were read from.)
  EXPECT_TRUE(WaitForMetrics(
      {server_->metrics_port()}, in_waves,
      [&](const std::vector<double>& v) { return v[0] >= in_waves_before + 1; }, absl::Seconds(10)))
      << MetricValue(server_->metrics_port(), in_waves) << " events in waves, " << in_waves_before
      << " before";
}

// Bookings recorded by this service (from the test's own won deal) drive the
// historical-share method, and a re-allocation makes a new exact version.
TEST_F(TargetsTest, HistoricalShareUsesRecordedBookingsAndReallocationKeepsSumsExact) {
  const TestEnv& env = TestEnv::Get();
  const CloudEvent deal = WonDeal(Id("hist"), Id("r1"), Id("team"), Id("east"), Id("pl"), 250'000);
  ASSERT_TRUE(ProduceRaw(env.kafka_bootstrap, "salesops.customers.events.v1", deal.key, deal.data,
                         ToKafkaHeaders(deal))
                  .ok());
  tv1::TargetPlan plan = NewPlan(Id("plan-hist"), 900'000);
  tv1::AllocatePlanResponse pl, team, reps;
  ASSERT_TRUE(Allocate(Director(), plan.name(), "", tv1::ALLOCATION_AXIS_PRODUCT_LINE,
                       tv1::ALLOCATION_METHOD_EQUAL, {{"orgUnits/" + Id("pl"), 0}}, &pl)
                  .ok());
  ASSERT_TRUE(Allocate(Director(), plan.name(), pl.cells(0).name(), tv1::ALLOCATION_AXIS_TEAM,
                       tv1::ALLOCATION_METHOD_EQUAL, {{"orgUnits/" + Id("team"), 0}}, &team)
                  .ok());
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
  tv1::AllocatePlanRequest req;
  req.set_plan(plan.name());
  req.set_parent_cell(team.cells(0).name());
  req.set_axis(tv1::ALLOCATION_AXIS_REP);
  req.set_method(tv1::ALLOCATION_METHOD_HISTORICAL_SHARE);
  for (const char* r : {"r1", "r2"}) {
    req.add_inputs()->set_key("members/" + Id(r));
  }
  auto* from = req.mutable_history_start_date();
  from->set_year(static_cast<int>(today.year()));
  from->set_month(today.month());
  from->set_day(1);
  auto* to = req.mutable_history_end_date();
  to->set_year(static_cast<int>(today.year()));
  to->set_month(today.month());
  to->set_day(today.day());
  // Until the projection has recorded the deal there is no history to share by.
  grpc::Status s;
  for (int i = 0; i < 150; ++i) {
    s = Call(Director(), &tv1::TargetsService::Stub::AllocatePlan, req, &reps);
    if (s.ok()) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(reps.cells_size(), 2);
  for (const auto& c : reps.cells()) {
    // r1 booked ¥2,500 this month, r2 nothing: r1 carries the whole target.
    EXPECT_EQ(c.amount().amount_minor(), c.member() == "members/" + Id("r1") ? 900'000 : 0);
  }
  // Without history there is nothing to share by.
  req.mutable_history_start_date()->set_year(2001);
  req.mutable_history_end_date()->set_year(2001);
  EXPECT_EQ(ErrorReasonOf(Call(Director(), &tv1::TargetsService::Stub::AllocatePlan, req, &reps)),
            "ALL_WEIGHTS_ZERO");

  tv1::PublishPlanRequest pub;
  pub.set_name(plan.name());
  tv1::PublishPlanResponse pubr;
  ASSERT_TRUE(Call(Director(), &tv1::TargetsService::Stub::PublishPlan, pub, &pubr).ok());
  tv1::SuggestReallocationRequest sug;
  sug.set_plan(plan.name());
  tv1::SuggestReallocationResponse sugr;
  ASSERT_TRUE(Call(Director(), &tv1::TargetsService::Stub::SuggestReallocation, sug, &sugr).ok());
  tv1::ApplyReallocationRequest apply;
  apply.set_plan(plan.name());
  auto* mv = apply.add_moves();
  tv1::ListAllocationCellsRequest lc;
  lc.set_plan(plan.name());
  lc.set_member("members/" + Id("r1"));
  tv1::ListAllocationCellsResponse r1cell;
  ASSERT_TRUE(Call(Director(), &tv1::TargetsService::Stub::ListAllocationCells, lc, &r1cell).ok());
  ASSERT_EQ(r1cell.cells_size(), 1);
  lc.set_member("members/" + Id("r2"));
  tv1::ListAllocationCellsResponse r2cell;
  ASSERT_TRUE(Call(Director(), &tv1::TargetsService::Stub::ListAllocationCells, lc, &r2cell).ok());
  mv->set_from_cell(r1cell.cells(0).name());
  mv->set_to_cell(r2cell.cells(0).name());
  mv->mutable_amount()->set_amount_minor(300'000);
  mv->mutable_amount()->set_currency_code("CNY");
  apply.set_reason("二季度重点客户转交");
  apply.set_publish(true);
  tv1::ApplyReallocationResponse applied;
  s = Call(Director(), &tv1::TargetsService::Stub::ApplyReallocation, apply, &applied);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(applied.plan().state(), tv1::PLAN_STATE_PUBLISHED);
  EXPECT_EQ(applied.plan().version(), 2);
  lc.clear_member();
  lc.set_plan(applied.plan().name());
  lc.set_page_size(100);
  tv1::ListAllocationCellsResponse all;
  ASSERT_TRUE(Call(Director(), &tv1::TargetsService::Stub::ListAllocationCells, lc, &all).ok());
  int64_t sum = 0;
  for (const auto& c : all.cells()) {
    if (c.member() == "members/" + Id("r1")) {
      EXPECT_EQ(c.amount().amount_minor(), 600'000);
    }
    if (c.member() == "members/" + Id("r2")) {
      EXPECT_EQ(c.amount().amount_minor(), 300'000);
    }
    if (!c.member().empty()) {
      sum += c.amount().amount_minor();
    }
    if (c.parent_cell().empty()) {
      EXPECT_EQ(c.amount().amount_minor(), 900'000);
    }
  }
  EXPECT_EQ(sum, 900'000);
  tv1::GetPlanRequest old;
  old.set_name(plan.name());
  tv1::GetPlanResponse oldr;
  ASSERT_TRUE(Call(Director(), &tv1::TargetsService::Stub::GetPlan, old, &oldr).ok());
  EXPECT_EQ(oldr.plan().state(), tv1::PLAN_STATE_SUPERSEDED);
}

// Collection-basis plans count payments (less refunds); potential-weighted
// allocation follows the open pipeline recorded from OpportunityCreated.
TEST_F(TargetsTest, CollectionBasisCountsPaymentsAndPotentialFollowsThePipeline) {
  const TestEnv& env = TestEnv::Get();
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
  auto publish = [&](const google::protobuf::Message& m, const std::string& key) {
    CloudEvent e = MakeCloudEvent("/salesops/customers", key, key, m, absl::Now());
    ASSERT_TRUE(ProduceRaw(env.kafka_bootstrap, "salesops.customers.events.v1", e.key, e.data,
                           ToKafkaHeaders(e))
                    .ok());
  };
  // Open pipeline: r1 ¥3,000, r2 ¥7,000.
  for (const auto& [rep, amount] :
       {std::pair<std::string, int64_t>{"r1", 300'000}, {"r2", 700'000}}) {
    cv1::OpportunityCreated c;
    c.set_opportunity("opportunities/" + Id("pipe-" + rep));
    c.set_owner("members/" + Id(rep));
    c.set_team("orgUnits/" + Id("team"));
    c.set_region("orgUnits/" + Id("east"));
    c.set_product_line("orgUnits/" + Id("pl"));
    c.set_channel("partner");
    c.set_customer_type("smb");
    c.mutable_amount()->set_amount_minor(amount);
    c.mutable_amount()->set_currency_code("CNY");
    publish(c, Id("pc-" + rep));
  }
  tv1::CreatePlanRequest req;
  auto* p = req.mutable_plan();
  p->set_display_name("回款目标");
  p->set_period(CurrentQuarter());
  p->set_scope("orgUnits/" + Id("co"));
  p->mutable_total()->set_amount_minor(1'000'000);
  p->mutable_total()->set_currency_code("CNY");
  p->set_attainment_basis(tv1::ATTAINMENT_BASIS_COLLECTION);
  req.set_plan_id(Id("plan-coll"));
  tv1::CreatePlanResponse created;
  grpc::Status cs;
  for (int i = 0; i < 100; ++i) {  // the directory learns this test's company from org events
    cs = Call(Director(), &tv1::TargetsService::Stub::CreatePlan, req, &created);
    if (cs.ok() || ErrorReasonOf(cs) != "ORG_UNIT_NOT_FOUND") {
      break;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_TRUE(cs.ok()) << cs.error_message();
  const std::string plan = created.plan().name();
  tv1::AllocatePlanResponse pl, team, reps;
  ASSERT_TRUE(Allocate(Director(), plan, "", tv1::ALLOCATION_AXIS_PRODUCT_LINE,
                       tv1::ALLOCATION_METHOD_EQUAL, {{"orgUnits/" + Id("pl"), 0}}, &pl)
                  .ok());
  ASSERT_TRUE(Allocate(Director(), plan, pl.cells(0).name(), tv1::ALLOCATION_AXIS_TEAM,
                       tv1::ALLOCATION_METHOD_EQUAL, {{"orgUnits/" + Id("team"), 0}}, &team)
                  .ok());
  grpc::Status s;
  int64_t r1 = 0, r2 = 0;
  for (int i = 0; i < 100; ++i) {  // until the pipeline events are consumed
    s = Allocate(Director(), plan, team.cells(0).name(), tv1::ALLOCATION_AXIS_REP,
                 tv1::ALLOCATION_METHOD_POTENTIAL_WEIGHTED,
                 {{"members/" + Id("r1"), 0}, {"members/" + Id("r2"), 0}}, &reps);
    if (s.ok()) {
      for (const auto& c : reps.cells()) {
        (c.member() == "members/" + Id("r1") ? r1 : r2) = c.amount().amount_minor();
      }
      if (r1 == 300'000 && r2 == 700'000) {
        break;
      }
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(r1, 300'000) << s.error_message();
  EXPECT_EQ(r2, 700'000);
  tv1::PublishPlanRequest pub;
  pub.set_name(plan);
  tv1::PublishPlanResponse pubr;
  ASSERT_TRUE(Call(Director(), &tv1::TargetsService::Stub::PublishPlan, pub, &pubr).ok());

  cv1::PaymentReceived pay;
  pay.set_contract("contracts/" + Id("k1"));
  pay.set_payment_id("p1");
  pay.set_owner("members/" + Id("r2"));
  pay.set_team("orgUnits/" + Id("team"));
  pay.set_region("orgUnits/" + Id("east"));
  pay.set_product_line("orgUnits/" + Id("pl"));
  pay.set_channel("partner");
  pay.set_customer_type("smb");
  pay.mutable_amount()->set_amount_minor(50'000);
  pay.mutable_amount()->set_currency_code("CNY");
  pay.mutable_received_date()->set_year(static_cast<int>(today.year()));
  pay.mutable_received_date()->set_month(today.month());
  pay.mutable_received_date()->set_day(today.day());
  publish(pay, Id("k1-pay"));
  cv1::PaymentRefunded refund;
  refund.set_contract(pay.contract());
  refund.set_payment_id("r1");
  refund.set_owner(pay.owner());
  refund.set_team(pay.team());
  refund.set_region(pay.region());
  refund.set_product_line(pay.product_line());
  refund.set_channel("partner");
  refund.set_customer_type("smb");
  refund.mutable_amount()->set_amount_minor(10'000);
  refund.mutable_amount()->set_currency_code("CNY");
  *refund.mutable_refund_date() = pay.received_date();
  publish(refund, Id("k1-refund"));
  tv1::GetAttainmentRequest get;
  get.set_plan(plan);
  get.set_subject("members/" + Id("r2"));
  tv1::GetAttainmentResponse att;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(Call(Admin(), &tv1::TargetsService::Stub::GetAttainment, get, &att).ok());
    if (att.attainment().actual().amount_minor() == 40'000) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(att.attainment().actual().amount_minor(), 40'000) << "payment less refund";
  EXPECT_EQ(att.attainment().basis(), tv1::ATTAINMENT_BASIS_COLLECTION);
  // A booking does not count on a collection plan.
  get.set_subject("members/" + Id("r1"));
  ASSERT_TRUE(Call(Admin(), &tv1::TargetsService::Stub::GetAttainment, get, &att).ok());
  EXPECT_EQ(att.attainment().actual().amount_minor(), 0);
}

// Runs last: it moves r3 to another team.
TEST_F(TargetsTest, AMovedRepTakesTheOpenTargetToTheNewTeamInANewPublishedVersion) {
  const TestEnv& env = TestEnv::Get();
  tv1::TargetPlan plan = NewPlan(Id("plan-move"), 4'000'000);
  tv1::AllocatePlanResponse pl, teams, reps1, reps2;
  ASSERT_TRUE(Allocate(Director(), plan.name(), "", tv1::ALLOCATION_AXIS_PRODUCT_LINE,
                       tv1::ALLOCATION_METHOD_EQUAL, {{"orgUnits/" + Id("pl"), 0}}, &pl)
                  .ok());
  ASSERT_TRUE(Allocate(Director(), plan.name(), pl.cells(0).name(), tv1::ALLOCATION_AXIS_TEAM,
                       tv1::ALLOCATION_METHOD_EQUAL,
                       {{"orgUnits/" + Id("team"), 0}, {"orgUnits/" + Id("team2"), 0}}, &teams)
                  .ok());
  ASSERT_EQ(teams.cells_size(), 2);
  const auto& t1 =
      teams.cells(0).org_unit() == "orgUnits/" + Id("team") ? teams.cells(0) : teams.cells(1);
  const auto& t2 =
      teams.cells(0).org_unit() == "orgUnits/" + Id("team") ? teams.cells(1) : teams.cells(0);
  ASSERT_TRUE(
      Allocate(Director(), plan.name(), t1.name(), tv1::ALLOCATION_AXIS_REP,
               tv1::ALLOCATION_METHOD_EQUAL,
               {{"members/" + Id("r1"), 0}, {"members/" + Id("r2"), 0}, {"members/" + Id("r3"), 0}},
               &reps1)
          .ok());
  ASSERT_TRUE(Allocate(Director(), plan.name(), t2.name(), tv1::ALLOCATION_AXIS_REP,
                       tv1::ALLOCATION_METHOD_EQUAL, {{"members/" + Id("r4"), 0}}, &reps2)
                  .ok());
  tv1::PublishPlanRequest pub;
  pub.set_name(plan.name());
  tv1::PublishPlanResponse pubr;
  ASSERT_TRUE(Call(Director(), &tv1::TargetsService::Stub::PublishPlan, pub, &pubr).ok());

  // r3 (target ¥6,666.67 of team ¥20,000) books ¥1,000 first.
  cv1::OpportunityWon won;
  won.set_opportunity("opportunities/" + Id("o-move"));
  won.set_owner("members/" + Id("r3"));
  won.set_team("orgUnits/" + Id("team"));
  won.set_region("orgUnits/" + Id("east"));
  won.set_product_line("orgUnits/" + Id("pl"));
  won.set_channel("direct");
  won.set_customer_type("smb");
  won.mutable_amount()->set_amount_minor(100'000);
  won.mutable_amount()->set_currency_code("CNY");
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
  won.mutable_won_date()->set_year(static_cast<int>(today.year()));
  won.mutable_won_date()->set_month(today.month());
  won.mutable_won_date()->set_day(today.day());
  CloudEvent e =
      MakeCloudEvent("/salesops/customers", Id("c-move"), won.opportunity(), won, absl::Now());
  ASSERT_TRUE(ProduceRaw(env.kafka_bootstrap, "salesops.customers.events.v1", e.key, e.data,
                         ToKafkaHeaders(e))
                  .ok());
  tv1::GetAttainmentRequest get;
  get.set_plan(plan.name());
  get.set_subject("members/" + Id("r3"));
  tv1::GetAttainmentResponse att;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(Call(Admin(), &tv1::TargetsService::Stub::GetAttainment, get, &att).ok());
    if (att.attainment().actual().amount_minor() > 0) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_EQ(att.attainment().actual().amount_minor(), 100'000);
  const int64_t r3_target = att.attainment().target().amount_minor();
  const int64_t open = r3_target - 100'000;

  {
    grpc::ClientContext ctx;
    Authorize(ctx, Admin());
    ov1::MoveMemberRequest mv;
    mv.set_name("members/" + Id("r3"));
    mv.set_org_unit("orgUnits/" + Id("team2"));
    mv.set_reason("支援二组");
    ov1::MoveMemberResponse mvr;
    grpc::Status s = org_->stub().MoveMember(&ctx, mv, &mvr);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  // A new version of the series is published by the org-change rule.
  tv1::TargetPlan v2;
  for (int i = 0; i < 300 && v2.name().empty();
       ++i) {  // its group first catches up with the org topic
    tv1::ListPlansRequest lp;
    lp.set_series("plans/" + Id("plan-move"));
    lp.set_state(tv1::PLAN_STATE_PUBLISHED);
    tv1::ListPlansResponse lpr;
    ASSERT_TRUE(Call(Admin(), &tv1::TargetsService::Stub::ListPlans, lp, &lpr).ok());
    for (const auto& p : lpr.plans()) {
      if (p.version() == 2) {
        v2 = p;
      }
    }
    if (v2.name().empty()) {
      absl::SleepFor(absl::Milliseconds(200));
    }
  }
  ASSERT_FALSE(v2.name().empty()) << server_->Logs();
  EXPECT_EQ(v2.previous_version(), plan.name());
  EXPECT_THAT(v2.change_reason(), ::testing::HasSubstr("moved"));
  tv1::ListAllocationCellsRequest lc;
  lc.set_plan(v2.name());
  lc.set_page_size(100);
  tv1::ListAllocationCellsResponse cells;
  ASSERT_TRUE(Call(Admin(), &tv1::TargetsService::Stub::ListAllocationCells, lc, &cells).ok());
  int64_t r3_old = -1, r3_new = -1, team_total = -1, team2_total = -1, root = -1, reps_sum = 0;
  for (const auto& c : cells.cells()) {
    if (c.member() == "members/" + Id("r3") && c.org_unit() == "orgUnits/" + Id("team")) {
      r3_old = c.amount().amount_minor();
    }
    if (c.member() == "members/" + Id("r3") && c.org_unit() == "orgUnits/" + Id("team2")) {
      r3_new = c.amount().amount_minor();
    }
    if (c.axis() == tv1::ALLOCATION_AXIS_TEAM && c.org_unit() == "orgUnits/" + Id("team")) {
      team_total = c.amount().amount_minor();
    }
    if (c.axis() == tv1::ALLOCATION_AXIS_TEAM && c.org_unit() == "orgUnits/" + Id("team2")) {
      team2_total = c.amount().amount_minor();
    }
    if (c.parent_cell().empty()) {
      root = c.amount().amount_minor();
    }
    if (!c.member().empty()) {
      reps_sum += c.amount().amount_minor();
    }
  }
  EXPECT_EQ(r3_old, 100'000) << "what was achieved stays with the old team";
  EXPECT_EQ(r3_new, open) << "the open target moves with the rep";
  EXPECT_EQ(team_total, 2'000'000 - open);
  EXPECT_EQ(team2_total, 2'000'000 + open);
  EXPECT_EQ(root, 4'000'000);
  EXPECT_EQ(reps_sum, 4'000'000) << "every level still sums exactly";
}

// A won deal for the fixture's roll-up tests, produced as the customers
// service would, dated today.
CloudEvent WonDeal(const std::string& id, const std::string& rep, const std::string& team,
                   const std::string& region, const std::string& pl, int64_t amount) {
  cv1::OpportunityWon won;
  won.set_opportunity("opportunities/" + id);
  won.set_customer("customers/c-" + id);
  won.set_owner("members/" + rep);
  won.set_team("orgUnits/" + team);
  won.set_region("orgUnits/" + region);
  won.set_product_line("orgUnits/" + pl);
  won.set_channel("direct");
  won.set_customer_type("enterprise");
  won.mutable_amount()->set_amount_minor(amount);
  won.mutable_amount()->set_currency_code("CNY");
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
  won.mutable_won_date()->set_year(static_cast<int>(today.year()));
  won.mutable_won_date()->set_month(today.month());
  won.mutable_won_date()->set_day(today.day());
  return MakeCloudEvent("/salesops/customers", "c-" + id, won.opportunity(), won, absl::Now());
}

// Issue 22: a rep with cells in three product lines wins a deal in each; the
// rep's total is the sum of all three, the team, region and company move by
// the same amounts; a fourth deal in a product line the plan did not give the
// rep is unplanned at every level, and the company still reconciles to every
// booking. The breakdown by product line shows each.
TEST_F(TargetsTest, RollupsAnswerHowAmIDoingAcrossEveryCell) {
  const TestEnv& env = TestEnv::Get();
  tv1::TargetPlan plan = NewPlan(Id("plan-rollup"), 3'000'000);
  tv1::AllocatePlanResponse pls;
  ASSERT_TRUE(Allocate(Director(), plan.name(), "", tv1::ALLOCATION_AXIS_PRODUCT_LINE,
                       tv1::ALLOCATION_METHOD_EQUAL,
                       {{"orgUnits/" + Id("pla"), 0},
                        {"orgUnits/" + Id("plb"), 0},
                        {"orgUnits/" + Id("plc"), 0}},
                       &pls)
                  .ok());
  ASSERT_EQ(pls.cells_size(), 3);
  for (const auto& pl_cell : pls.cells()) {
    tv1::AllocatePlanResponse team, reps;
    ASSERT_TRUE(Allocate(Director(), plan.name(), pl_cell.name(), tv1::ALLOCATION_AXIS_TEAM,
                         tv1::ALLOCATION_METHOD_EQUAL, {{"orgUnits/" + Id("team3"), 0}}, &team)
                    .ok());
    ASSERT_TRUE(Allocate(Director(), plan.name(), team.cells(0).name(), tv1::ALLOCATION_AXIS_REP,
                         tv1::ALLOCATION_METHOD_EQUAL,
                         {{"members/" + Id("r5"), 0}, {"members/" + Id("r6"), 0}}, &reps)
                    .ok());
  }
  tv1::PublishPlanRequest pub;
  pub.set_name(plan.name());
  tv1::PublishPlanResponse pubr;
  ASSERT_TRUE(Call(Director(), &tv1::TargetsService::Stub::PublishPlan, pub, &pubr).ok());
  auto get = [&](const std::string& subject, tv1::Attainment* out,
                 const std::string& breakdown = "") {
    tv1::GetAttainmentRequest req;
    req.set_plan(plan.name());
    req.set_subject(subject);
    req.set_breakdown_by(breakdown);
    tv1::GetAttainmentResponse resp;
    grpc::Status s = Call(Director(), &tv1::TargetsService::Stub::GetAttainment, req, &resp);
    *out = resp.attainment();
    return s;
  };
  tv1::Attainment company_before, r5;
  ASSERT_TRUE(get(plan.scope(), &company_before).ok());
  ASSERT_TRUE(get("members/" + Id("r5"), &r5).ok());
  EXPECT_EQ(r5.target().amount_minor(), 1'500'000) << "three cells of 500,000";
  EXPECT_EQ(r5.actual().amount_minor(), 0);

  const std::vector<CloudEvent> deals = {
      WonDeal(Id("ru-a"), Id("r5"), Id("team3"), Id("south"), Id("pla"), 100'000),
      WonDeal(Id("ru-b"), Id("r5"), Id("team3"), Id("south"), Id("plb"), 20'000),
      WonDeal(Id("ru-c"), Id("r5"), Id("team3"), Id("south"), Id("plc"), 3'000),
      WonDeal(Id("ru-d"), Id("r5"), Id("team3"), Id("south"), Id("pld"), 400)};
  for (const CloudEvent& e : deals) {
    ASSERT_TRUE(ProduceRaw(env.kafka_bootstrap, "salesops.customers.events.v1", e.key, e.data,
                           ToKafkaHeaders(e))
                    .ok());
  }
  for (int i = 0; i < 150 && r5.actual().amount_minor() != 123'400; ++i) {
    absl::SleepFor(absl::Milliseconds(200));
    ASSERT_TRUE(get("members/" + Id("r5"), &r5, "product_line").ok());
  }
  EXPECT_EQ(r5.actual().amount_minor(), 123'400) << "every deal of the rep counts";
  EXPECT_EQ(r5.unplanned().amount_minor(), 400) << "the pld deal is unplanned, not dropped";
  EXPECT_EQ(r5.level(), tv1::ATTAINMENT_LEVEL_REP);
  EXPECT_EQ(r5.attainment_basis_points(), 123'400 * 10000 / 1'500'000);
  std::map<std::string, std::pair<int64_t, int64_t>> by_pl;  // value → target, actual
  for (const auto& row : r5.breakdown()) {
    by_pl[row.value()] = {row.target().amount_minor(), row.actual().amount_minor()};
  }
  EXPECT_EQ(by_pl["orgUnits/" + Id("pla")], std::make_pair(int64_t{500'000}, int64_t{100'000}));
  EXPECT_EQ(by_pl["orgUnits/" + Id("plc")], std::make_pair(int64_t{500'000}, int64_t{3'000}));
  EXPECT_EQ(by_pl["orgUnits/" + Id("pld")], std::make_pair(int64_t{0}, int64_t{400}));

  tv1::Attainment team, region, company;
  ASSERT_TRUE(get("orgUnits/" + Id("team3"), &team).ok());
  ASSERT_TRUE(get("orgUnits/" + Id("south"), &region).ok());
  ASSERT_TRUE(get(plan.scope(), &company).ok());
  EXPECT_EQ(team.level(), tv1::ATTAINMENT_LEVEL_TEAM);
  EXPECT_EQ(team.target().amount_minor(), 3'000'000);
  EXPECT_EQ(team.actual().amount_minor(), 123'400);
  EXPECT_EQ(region.level(), tv1::ATTAINMENT_LEVEL_REGION);
  EXPECT_EQ(region.actual().amount_minor(), 123'400);
  EXPECT_EQ(region.unplanned().amount_minor(), 400);
  EXPECT_EQ(company.level(), tv1::ATTAINMENT_LEVEL_COMPANY);
  EXPECT_EQ(company.actual().amount_minor() - company_before.actual().amount_minor(), 123'400)
      << "the company moves by exactly the bookings";
  EXPECT_EQ(company.unplanned().amount_minor() - company_before.unplanned().amount_minor(), 400);

  // One row per subject at a level, the rep total (not a cell) each; visible to their supervisor.
  tv1::ListAttainmentRequest list;
  list.set_plan(plan.name());
  list.set_level(tv1::ATTAINMENT_LEVEL_REP);
  list.set_org_unit("orgUnits/" + Id("team3"));
  tv1::ListAttainmentResponse rows;
  ASSERT_TRUE(Call(Token(Role::kSupervisor, Id("sup3"), Id("team3")),
                   &tv1::TargetsService::Stub::ListAttainment, list, &rows)
                  .ok());
  ASSERT_EQ(rows.attainments_size(), 2);
  for (const auto& row : rows.attainments()) {
    EXPECT_EQ(row.target().amount_minor(), 1'500'000) << row.subject();
    EXPECT_EQ(row.actual().amount_minor(), row.subject() == "members/" + Id("r5") ? 123'400 : 0);
  }
}

// Finding 9 of the security review: a deal booked between a re-allocation
// staged as a draft and its publication is counted in the new version.
TEST_F(TargetsTest, BookingsBetweenADraftVersionAndItsPublicationAreCounted) {
  const TestEnv& env = TestEnv::Get();
  tv1::TargetPlan plan = NewPlan(Id("plan-f9"), 1'000'000);
  tv1::AllocatePlanResponse team, reps;
  ASSERT_TRUE(Allocate(Director(), plan.name(), "", tv1::ALLOCATION_AXIS_TEAM,
                       tv1::ALLOCATION_METHOD_EQUAL, {{"orgUnits/" + Id("team3"), 0}}, &team)
                  .ok());
  ASSERT_TRUE(Allocate(Director(), plan.name(), team.cells(0).name(), tv1::ALLOCATION_AXIS_REP,
                       tv1::ALLOCATION_METHOD_EQUAL,
                       {{"members/" + Id("r5"), 0}, {"members/" + Id("r6"), 0}}, &reps)
                  .ok());
  tv1::PublishPlanRequest pub;
  pub.set_name(plan.name());
  tv1::PublishPlanResponse pubr;
  ASSERT_TRUE(Call(Director(), &tv1::TargetsService::Stub::PublishPlan, pub, &pubr).ok());
  auto actual_of = [&](const std::string& plan_name) {
    tv1::GetAttainmentRequest req;
    req.set_plan(plan_name);
    req.set_subject("members/" + Id("r6"));
    tv1::GetAttainmentResponse resp;
    EXPECT_TRUE(Call(Director(), &tv1::TargetsService::Stub::GetAttainment, req, &resp).ok());
    return resp.attainment().actual().amount_minor();
  };
  const int64_t before = actual_of(plan.name());
  tv1::ApplyReallocationRequest apply;
  apply.set_plan(plan.name());
  apply.set_reason("内部调整");
  auto* mv = apply.add_moves();
  mv->set_from_cell(reps.cells(0).name());
  mv->set_to_cell(reps.cells(1).name());
  mv->mutable_amount()->set_amount_minor(1'000);
  mv->mutable_amount()->set_currency_code("CNY");
  tv1::ApplyReallocationResponse draft;
  ASSERT_TRUE(Call(Director(), &tv1::TargetsService::Stub::ApplyReallocation, apply, &draft).ok());
  ASSERT_EQ(draft.plan().state(), tv1::PLAN_STATE_DRAFT);
  // The deal lands while the new version is a draft (barrier: the published one counts it).
  const CloudEvent deal = WonDeal(Id("f9"), Id("r6"), Id("team3"), Id("south"), Id("pla"), 77'000);
  ASSERT_TRUE(ProduceRaw(env.kafka_bootstrap, "salesops.customers.events.v1", deal.key, deal.data,
                         ToKafkaHeaders(deal))
                  .ok());
  for (int i = 0; i < 150 && actual_of(plan.name()) != before + 77'000; ++i) {
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_EQ(actual_of(plan.name()), before + 77'000);
  EXPECT_EQ(actual_of(draft.plan().name()), before + 77'000) << "the draft shows it too";
  pub.set_name(draft.plan().name());
  ASSERT_TRUE(Call(Director(), &tv1::TargetsService::Stub::PublishPlan, pub, &pubr).ok());
  EXPECT_EQ(actual_of(draft.plan().name()), before + 77'000)
      << "the deal booked before publication is counted by the published version";
}

}  // namespace
}  // namespace salesops::testing
