// TargetsApi over its in-memory store (store/in_memory_targets_store.h), wired as main.cc wires it
// (TargetsStore, the org directory and the attainment projection on one keyspace, the org chart
// filled through the real directory projection), with a fake clock: periods,
// plans and their allocation down to reps, who may plan what, publishing and
// the roll-ups it announces, won deals counted once, a moved rep's target,
// and a failed commit that leaves nothing behind — without Redis, Kafka or gRPC.
#include "services/targets/api/targets_api.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/directory/org_directory.h"
#include "common/directory/testing/directory_seed.h"
#include "common/docstore/in_memory_kv.h"
#include "common/events/cloud_event.h"
#include "common/projection/projection_store.h"
#include "common/status/errors.h"
#include "common/testing/api_test_support.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "services/targets/events/attainment_projection.h"
#include "services/targets/store/in_memory_targets_store.h"
#include "services/targets/store/targets_store.h"

namespace salesops::targets {
namespace {

namespace ov1 = ::salesops::org::v1;
namespace cv1 = ::salesops::customers::v1;
using ::testing::ElementsAre;

constexpr char kTrace[] = "4bf92f3577b34da6a3ce929d0e0e4736";

using ::salesops::test_support::BusinessZone;
constexpr auto FieldOf = &::salesops::test_support::FirstViolatedField;

class TargetsApiTest : public ::testing::Test {
 protected:
  // A company with two regions; east has two teams (t-hz with three reps and
  // a supervisor, t-sh with one rep and a supervisor) and an empty team;
  // west has one team. One product line.
  void SetUp() override {
    seed_.Unit("acme", "", ov1::ORG_UNIT_KIND_COMPANY);
    seed_.Unit("east", "acme", ov1::ORG_UNIT_KIND_REGION);
    seed_.Unit("west", "acme", ov1::ORG_UNIT_KIND_REGION);
    seed_.Unit("t-hz", "east", ov1::ORG_UNIT_KIND_TEAM);
    seed_.Unit("t-sh", "east", ov1::ORG_UNIT_KIND_TEAM);
    seed_.Unit("t-empty", "east", ov1::ORG_UNIT_KIND_TEAM);
    seed_.Unit("t-cd", "west", ov1::ORG_UNIT_KIND_TEAM);
    seed_.Unit("pl-erp", "acme", ov1::ORG_UNIT_KIND_PRODUCT_LINE);
    for (const char* r : {"rep-1", "rep-2", "rep-3"}) {
      seed_.Member(r, "t-hz", ov1::ROLE_REP);
    }
    seed_.Member("rep-4", "t-sh", ov1::ROLE_REP);
    seed_.Member("rep-5", "t-cd", ov1::ROLE_REP);
    seed_.Member("sup-hz", "t-hz", ov1::ROLE_SUPERVISOR);
    seed_.Member("sup-sh", "t-sh", ov1::ROLE_SUPERVISOR);
    seed_.Member("mgr-e", "east", ov1::ROLE_MANAGER);
  }

  static CallContext As(Role role, std::string member, std::string unit) {
    return CallContext{{std::move(member), role, std::move(unit)}, kTrace, "test"};
  }
  static CallContext Admin() { return As(Role::kAdmin, "admin", ""); }
  static CallContext Director() { return As(Role::kDirector, "dir", "acme"); }
  static CallContext SupHz() { return As(Role::kSupervisor, "sup-hz", "t-hz"); }
  static CallContext SupSh() { return As(Role::kSupervisor, "sup-sh", "t-sh"); }
  static CallContext MgrEast() { return As(Role::kManager, "mgr-e", "east"); }
  static CallContext Rep(const std::string& id, const std::string& team = "t-hz") {
    return As(Role::kRep, id, team);
  }

  // Fiscal Q4 2026 (the clock's quarter), created by an admin the first time.
  std::string Quarter() {
    if (quarter_created_) {
      return "fiscalPeriods/FY2026-Q4";
    }
    quarter_created_ = true;
    v1::CreateFiscalPeriodRequest req;
    v1::FiscalPeriod* p = req.mutable_fiscal_period();
    p->set_display_name("2026财年第四季度");
    p->set_kind(v1::FISCAL_PERIOD_KIND_QUARTER);
    p->set_fiscal_year(2026);
    p->set_number(4);
    p->set_fiscal_year_start_month(1);
    v1::CreateFiscalPeriodResponse resp;
    absl::Status s = api_.CreateFiscalPeriod(Admin(), req, &resp);
    EXPECT_TRUE(s.ok() || s.code() == absl::StatusCode::kAlreadyExists) << s;
    return "fiscalPeriods/FY2026-Q4";
  }

  absl::StatusOr<v1::TargetPlan> CreatePlan(const CallContext& call, const std::string& id,
                                            const std::string& scope, int64_t total) {
    v1::CreatePlanRequest req;
    v1::TargetPlan* p = req.mutable_plan();
    p->set_display_name("季度目标");
    p->set_period(Quarter());
    p->set_scope("orgUnits/" + scope);
    p->mutable_total()->set_amount_minor(total);
    p->mutable_total()->set_currency_code("CNY");
    p->set_attainment_basis(v1::ATTAINMENT_BASIS_BOOKING);
    req.set_plan_id(id);
    v1::CreatePlanResponse resp;
    absl::Status s = api_.CreatePlan(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return resp.plan();
  }

  absl::StatusOr<std::vector<v1::AllocationCell>> Allocate(
      const CallContext& call, const std::string& plan, const std::string& parent,
      v1::AllocationAxis axis, v1::AllocationMethod method,
      const std::vector<std::pair<std::string, int64_t>>& inputs, bool lock = false) {
    v1::AllocatePlanRequest req;
    req.set_plan(plan);
    req.set_parent_cell(parent);
    req.set_axis(axis);
    req.set_method(method);
    for (const auto& [key, amount] : inputs) {
      v1::AllocationInput* in = req.add_inputs();
      in->set_key(key);
      if (amount > 0 || lock) {
        in->mutable_amount()->set_amount_minor(amount);
        in->mutable_amount()->set_currency_code("CNY");
        in->set_locked(lock);
      }
    }
    v1::AllocatePlanResponse resp;
    absl::Status s = api_.AllocatePlan(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return std::vector<v1::AllocationCell>(resp.cells().begin(), resp.cells().end());
  }

  // A company plan of `total` allocated to the product line, then to t-hz
  // (and t-sh when `two_teams`), then equally to each team's reps.
  struct Allocated {
    v1::TargetPlan plan;
    std::string team_cell;     // t-hz
    std::string sh_team_cell;  // t-sh, when two_teams
    std::vector<v1::AllocationCell> reps;
  };
  Allocated AllocatedPlan(const std::string& id, int64_t total, bool two_teams = false) {
    Allocated out;
    absl::StatusOr<v1::TargetPlan> plan = CreatePlan(Director(), id, "acme", total);
    EXPECT_TRUE(plan.ok()) << plan.status();
    out.plan = plan.value_or(v1::TargetPlan());
    auto pl = Allocate(Director(), out.plan.name(), "", v1::ALLOCATION_AXIS_PRODUCT_LINE,
                       v1::ALLOCATION_METHOD_EQUAL, {{"orgUnits/pl-erp", 0}});
    EXPECT_TRUE(pl.ok() && pl->size() == 1) << pl.status();
    std::vector<std::pair<std::string, int64_t>> teams = {{"orgUnits/t-hz", 0}};
    if (two_teams) {
      teams.push_back({"orgUnits/t-sh", 0});
    }
    auto t = Allocate(Director(), out.plan.name(), (*pl)[0].name(), v1::ALLOCATION_AXIS_TEAM,
                      v1::ALLOCATION_METHOD_EQUAL, teams);
    EXPECT_TRUE(t.ok()) << t.status();
    for (const v1::AllocationCell& c : *t) {
      (c.org_unit() == "orgUnits/t-hz" ? out.team_cell : out.sh_team_cell) = c.name();
    }
    auto reps = Allocate(SupHz(), out.plan.name(), out.team_cell, v1::ALLOCATION_AXIS_REP,
                         v1::ALLOCATION_METHOD_EQUAL, {});
    EXPECT_TRUE(reps.ok()) << reps.status();
    out.reps = reps.value_or(std::vector<v1::AllocationCell>());
    if (two_teams) {
      auto sh = Allocate(SupSh(), out.plan.name(), out.sh_team_cell, v1::ALLOCATION_AXIS_REP,
                         v1::ALLOCATION_METHOD_EQUAL, {});
      EXPECT_TRUE(sh.ok()) << sh.status();
    }
    return out;
  }

  absl::StatusOr<v1::PublishPlanResponse> Publish(const CallContext& call,
                                                  const std::string& plan) {
    v1::PublishPlanRequest req;
    req.set_name(plan);
    v1::PublishPlanResponse resp;
    absl::Status s = api_.PublishPlan(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return resp;
  }

  // The plan as stored now (its etag is its current version).
  v1::TargetPlan PlanNow(const std::string& plan) {
    v1::GetPlanRequest req;
    req.set_name(plan);
    v1::GetPlanResponse resp;
    absl::Status s = api_.GetPlan(Director(), req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    return resp.plan();
  }

  // A new draft version of `source`, with the id `id`.
  v1::TargetPlan NewVersion(const std::string& source, const std::string& id) {
    v1::CreatePlanVersionRequest req;
    req.set_source_plan(source);
    req.set_plan_id(id);
    req.set_change_reason("年中调整");
    v1::CreatePlanVersionResponse resp;
    absl::Status s = api_.CreatePlanVersion(Director(), req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    return resp.plan();
  }

  // `writer` lands between the next commit's read and its apply (another writer
  // winning a race); every commit tried after it — the call run again — counts in
  // commits_after_, until StopCounting().
  void BeforeNextCommit(std::function<void()> writer) {
    kv_.BeforeNextCommit([this, writer = std::move(writer)] {
      writer();
      CountCommits();
    });
  }
  void CountCommits() {
    kv_.BeforeNextCommit([this] {
      ++commits_after_;
      CountCommits();
    });
  }
  void StopCounting() { kv_.BeforeNextCommit(nullptr); }

  // The deal facts every opportunity event carries (product line pl-erp, direct, enterprise).
  template <typename E>
  static void SetDeal(E& e, const std::string& opp, const std::string& rep, const std::string& team,
                      const std::string& region, int64_t amount,
                      const std::string& currency = "CNY") {
    e.set_opportunity("opportunities/" + opp);
    e.set_owner("members/" + rep);
    e.set_team("orgUnits/" + team);
    e.set_region("orgUnits/" + region);
    e.set_product_line("orgUnits/pl-erp");
    e.set_channel("direct");
    e.set_customer_type("enterprise");
    e.mutable_amount()->set_amount_minor(amount);
    e.mutable_amount()->set_currency_code(currency);
  }

  // A won deal as the customers service publishes it, dated on the clock's day.
  CloudEvent WonDeal(const std::string& id, const std::string& rep, const std::string& team,
                     const std::string& region, int64_t amount) const {
    cv1::OpportunityWon won;
    SetDeal(won, id, rep, team, region, amount);
    won.set_customer("customers/c-" + id);
    const absl::CivilDay today = absl::ToCivilDay(clock_.Now(), tz_);
    won.mutable_won_date()->set_year(static_cast<int>(today.year()));
    won.mutable_won_date()->set_month(today.month());
    won.mutable_won_date()->set_day(today.day());
    return MakeCloudEvent("/salesops/customers", "c-" + id, won.opportunity(), won, clock_.Now());
  }

  absl::StatusOr<v1::Attainment> Attainment(const CallContext& call, const std::string& plan,
                                            const std::string& subject) {
    v1::GetAttainmentRequest req;
    req.set_plan(plan);
    req.set_subject(subject);
    v1::GetAttainmentResponse resp;
    absl::Status s = api_.GetAttainment(call, req, &resp);
    if (!s.ok()) {
      return s;
    }
    return resp.attainment();
  }

  std::vector<v1::AttainmentUpdated> AttainmentUpdates(const std::string& plan) const {
    std::vector<v1::AttainmentUpdated> out;
    for (const CloudEvent& e : kv_.EventsOfType("salesops.targets.v1.AttainmentUpdated")) {
      absl::StatusOr<v1::AttainmentUpdated> u = DecodePayload<v1::AttainmentUpdated>(e);
      EXPECT_TRUE(u.ok()) << u.status();
      if (u.ok() && u->plan() == plan) {
        out.push_back(*u);
      }
    }
    return out;
  }

  int commits_after_ = 0;
  bool quarter_created_ = false;
  absl::TimeZone tz_ = BusinessZone();
  FakeClock clock_{absl::FromCivil(absl::CivilSecond(2026, 11, 10, 10, 0, 0), BusinessZone())};
  InMemoryTargetsStore store_;
  InMemoryKv& kv_ = store_.memory();
  org::testing::DirectorySeed seed_{kv_, kKeyPrefix};
  org::OrgDirectory directory_{kv_, kKeyPrefix};
  PlanModelCache models_{store_, directory_};
  TargetsApi api_{
      store_, directory_, models_, clock_,
      TargetsOptions{tz_, {"direct", "partner", "online"}, {"enterprise", "smb", "government"}}};
  ProjectionStore attainment_seen_{kv_, TgtKey("att:seen:")};
  AttainmentProjection attainment_{attainment_seen_, store_, models_, clock_, tz_};
};

// A quarter is named by its year and number, dated by the fiscal calendar and
// announced once; a second one with that name, and bad fields, are refused.
TEST_F(TargetsApiTest, PeriodsAreNamedDatedAndAnnouncedOnce) {
  v1::CreateFiscalPeriodRequest req;
  v1::FiscalPeriod* p = req.mutable_fiscal_period();
  p->set_display_name("2026财年第四季度");
  p->set_kind(v1::FISCAL_PERIOD_KIND_QUARTER);
  p->set_fiscal_year(2026);
  p->set_number(4);
  p->set_fiscal_year_start_month(4);  // April: fiscal Q4 is January..March 2027
  v1::CreateFiscalPeriodResponse resp;
  ASSERT_TRUE(api_.CreateFiscalPeriod(Admin(), req, &resp).ok());
  EXPECT_EQ(resp.fiscal_period().name(), "fiscalPeriods/FY2026-Q4");
  EXPECT_EQ(resp.fiscal_period().start_date().year(), 2027);
  EXPECT_EQ(resp.fiscal_period().start_date().month(), 1);
  EXPECT_EQ(resp.fiscal_period().end_date().month(), 3);
  EXPECT_EQ(resp.fiscal_period().end_date().day(), 31);
  EXPECT_EQ(kv_.EventsOfType("salesops.targets.v1.FiscalPeriodCreated").size(), 1u);

  absl::Status again = api_.CreateFiscalPeriod(Admin(), req, &resp);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(kv_.EventsOfType("salesops.targets.v1.FiscalPeriodCreated").size(), 1u);

  p->set_number(5);
  absl::Status bad = api_.CreateFiscalPeriod(Admin(), req, &resp);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(bad), "fiscal_period.number");
  p->set_number(1);
  p->set_fiscal_year(1999);
  EXPECT_EQ(FieldOf(api_.CreateFiscalPeriod(Admin(), req, &resp)), "fiscal_period.fiscal_year");
  p->set_fiscal_year(2026);
  p->set_fiscal_year_start_month(13);
  EXPECT_EQ(FieldOf(api_.CreateFiscalPeriod(Admin(), req, &resp)),
            "fiscal_period.fiscal_year_start_month");
}

// Directors plan for the company, a manager for their region, a supervisor
// for their team; nobody for someone else's unit. Unknown scopes and periods
// and a negative total name their field.
TEST_F(TargetsApiTest, WhoMayPlanWhatFollowsTheOrgChart) {
  EXPECT_TRUE(CreatePlan(Director(), "p-company", "acme", 1'000'000).ok());
  EXPECT_TRUE(CreatePlan(MgrEast(), "p-east", "east", 500'000).ok());
  EXPECT_TRUE(CreatePlan(SupHz(), "p-hz", "t-hz", 200'000).ok());
  for (auto [who, scope] : {std::pair{MgrEast(), "west"}, std::pair{MgrEast(), "acme"},
                            std::pair{SupHz(), "t-sh"}, std::pair{SupHz(), "east"}}) {
    absl::StatusOr<v1::TargetPlan> p = CreatePlan(who, absl::StrCat("p-x-", scope), scope, 1);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kPermissionDenied)
        << who.principal.member_id << " for " << scope;
  }
  absl::StatusOr<v1::TargetPlan> unknown = CreatePlan(Director(), "p-unknown", "nowhere", 1);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(unknown.status()), "plan.scope");
  EXPECT_EQ(ErrorReason(unknown.status()), "ORG_UNIT_NOT_FOUND");
  absl::StatusOr<v1::TargetPlan> negative = CreatePlan(Director(), "p-negative", "acme", -1);
  EXPECT_EQ(FieldOf(negative.status()), "plan.total.amount_minor");

  v1::CreatePlanRequest req;
  req.mutable_plan()->set_display_name("x");
  req.mutable_plan()->set_period("fiscalPeriods/FY1999-Q1");
  req.mutable_plan()->set_scope("orgUnits/acme");
  req.mutable_plan()->mutable_total()->set_amount_minor(1);
  req.mutable_plan()->mutable_total()->set_currency_code("CNY");
  req.mutable_plan()->set_attainment_basis(v1::ATTAINMENT_BASIS_BOOKING);
  v1::CreatePlanResponse resp;
  EXPECT_EQ(FieldOf(api_.CreatePlan(Director(), req, &resp)), "plan.period");
  // Three plans were created, each announced once.
  EXPECT_EQ(kv_.EventsOfType("salesops.targets.v1.PlanCreated").size(), 3u);
}

// ¥1,000,000.01 down to three reps: every level sums exactly (largest
// remainder), each rep's months sum to their amount, locked cells are kept
// and may not exceed the parent.
TEST_F(TargetsApiTest, AllocationSumsExactlyAtEveryLevel) {
  Allocated a = AllocatedPlan("p-exact", 1'000'000'01);
  ASSERT_EQ(a.reps.size(), 3u);
  std::vector<int64_t> parts;
  for (const v1::AllocationCell& c : a.reps) {
    parts.push_back(c.amount().amount_minor());
    int64_t months = 0;
    for (const auto& m : c.monthly_amounts()) {
      months += m.amount().amount_minor();
    }
    EXPECT_EQ(c.monthly_amounts_size(), 3);
    EXPECT_EQ(months, c.amount().amount_minor()) << c.member();
  }
  std::sort(parts.begin(), parts.end());
  EXPECT_THAT(parts, ElementsAre(33333333, 33333334, 33333334));

  auto locked = Allocate(
      SupHz(), a.plan.name(), a.team_cell, v1::ALLOCATION_AXIS_REP, v1::ALLOCATION_METHOD_MANUAL,
      {{"members/rep-1", 50'000'000}, {"members/rep-2", 30'000'000}, {"members/rep-3", 20'000'001}},
      true);
  ASSERT_TRUE(locked.ok()) << locked.status();
  std::map<std::string, int64_t> kept;
  for (const v1::AllocationCell& c : *locked) {
    kept[c.member()] = c.amount().amount_minor();
    EXPECT_TRUE(c.locked()) << c.member();
  }
  EXPECT_EQ(kept, (std::map<std::string, int64_t>{{"members/rep-1", 50'000'000},
                                                  {"members/rep-2", 30'000'000},
                                                  {"members/rep-3", 20'000'001}}));
  // Locked amounts short of the parent leave a rest nobody may take.
  auto short_of = Allocate(SupHz(), a.plan.name(), a.team_cell, v1::ALLOCATION_AXIS_REP,
                           v1::ALLOCATION_METHOD_MANUAL,
                           {{"members/rep-1", 50'000'000}, {"members/rep-2", 30'000'000}}, true);
  EXPECT_EQ(ErrorReason(short_of.status()), "ALL_WEIGHTS_ZERO") << short_of.status();

  auto over = Allocate(SupHz(), a.plan.name(), a.team_cell, v1::ALLOCATION_AXIS_REP,
                       v1::ALLOCATION_METHOD_MANUAL,
                       {{"members/rep-1", 90'000'000}, {"members/rep-2", 30'000'000}}, true);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(over.status()), "LOCKED_EXCEEDS_TOTAL");
}

// Rules of allocation that name the input or the rule: an unknown channel,
// a team without reps, all weights zero, and a supervisor reaching into
// another team or publishing the company plan.
TEST_F(TargetsApiTest, AllocationRefusesWhatItCannotShare) {
  absl::StatusOr<v1::TargetPlan> plan = CreatePlan(Director(), "p-bad", "acme", 900);
  ASSERT_TRUE(plan.ok()) << plan.status();
  auto channel = Allocate(Director(), plan->name(), "", v1::ALLOCATION_AXIS_CHANNEL,
                          v1::ALLOCATION_METHOD_EQUAL, {{"carrier_pigeon", 0}});
  EXPECT_EQ(channel.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(channel.status()), "inputs[0].key");
  auto empty = Allocate(Director(), plan->name(), "", v1::ALLOCATION_AXIS_TEAM,
                        v1::ALLOCATION_METHOD_EQUAL, {{"orgUnits/t-empty", 0}});
  EXPECT_EQ(ErrorReason(empty.status()), "TEAM_HAS_NO_MEMBERS") << empty.status();

  v1::AllocatePlanRequest zero;
  zero.set_plan(plan->name());
  zero.set_axis(v1::ALLOCATION_AXIS_CHANNEL);
  zero.set_method(v1::ALLOCATION_METHOD_CAPACITY_WEIGHTED);
  v1::AllocationInput* in = zero.add_inputs();
  in->set_key("direct");
  in->set_weight(0);
  v1::AllocatePlanResponse resp;
  EXPECT_EQ(ErrorReason(api_.AllocatePlan(Director(), zero, &resp)), "ALL_WEIGHTS_ZERO");

  Allocated a = AllocatedPlan("p-scope", 300'000);
  auto reach = Allocate(SupSh(), a.plan.name(), a.team_cell, v1::ALLOCATION_AXIS_REP,
                        v1::ALLOCATION_METHOD_EQUAL, {});
  EXPECT_EQ(reach.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Publish(SupHz(), a.plan.name()).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(kv_.EventsOfType("salesops.targets.v1.PlanPublished").empty());
}

// Publishing announces the plan and every roll-up's figures against it. A rep
// who booked in the period without a cell in the plan (rep-4, t-sh) is among
// them with their team from the directory: consumers place every rep-level
// update in a team.
TEST_F(TargetsApiTest, PublishAnnouncesEveryRollupWithItsTeam) {
  Quarter();
  ASSERT_TRUE(attainment_.Handle(WonDeal("d-sh", "rep-4", "t-sh", "east", 80'000)).ok());
  Allocated a = AllocatedPlan("p-pub", 900'000);
  absl::StatusOr<v1::PublishPlanResponse> pub = Publish(Director(), a.plan.name());
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->plan().state(), v1::PLAN_STATE_PUBLISHED);
  EXPECT_EQ(kv_.EventsOfType("salesops.targets.v1.PlanPublished").size(), 1u);

  std::vector<v1::AttainmentUpdated> updates = AttainmentUpdates(a.plan.name());
  int reps = 0;
  bool saw_rep4 = false;
  for (const v1::AttainmentUpdated& u : updates) {
    if (u.level() != v1::ATTAINMENT_LEVEL_REP) {
      continue;
    }
    ++reps;
    EXPECT_FALSE(u.team().empty()) << u.subject();
    if (u.subject() == "members/rep-4") {
      saw_rep4 = true;
      EXPECT_EQ(u.team(), "orgUnits/t-sh");
      EXPECT_EQ(u.actual().amount_minor(), 80'000);
      EXPECT_EQ(u.target().amount_minor(), 0);
    } else {
      EXPECT_EQ(u.team(), "orgUnits/t-hz") << u.subject();
    }
  }
  EXPECT_EQ(reps, 4) << "three reps with cells and one who booked without";
  EXPECT_TRUE(saw_rep4);
  // A draft cannot be published twice.
  EXPECT_EQ(ErrorReason(Publish(Director(), a.plan.name()).status()), "PLAN_NOT_DRAFT");
}

// A booking that arrives while a plan is published moves the facts revision the
// publication's counters were computed under: a race on the bookings, not on the
// plan the caller's etag names. The publication runs again and counts the booking,
// never ABORTED ETAG_MISMATCH for a current etag.
TEST_F(TargetsApiTest, ABookingDuringPublicationRunsItAgainAndCountsIt) {
  Allocated a = AllocatedPlan("p-race", 3'000'000);
  v1::PublishPlanRequest req;
  req.set_name(a.plan.name());
  req.set_etag(PlanNow(a.plan.name()).etag());
  ASSERT_FALSE(req.etag().empty());
  BeforeNextCommit([&] {
    ASSERT_TRUE(attainment_.Handle(WonDeal("d-mid", "rep-1", "t-hz", "east", 250'000)).ok());
  });
  v1::PublishPlanResponse resp;
  absl::Status s = api_.PublishPlan(Director(), req, &resp);
  StopCounting();
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(commits_after_, 1) << "run once more, on the fresh bookings";
  EXPECT_EQ(resp.plan().state(), v1::PLAN_STATE_PUBLISHED);
  EXPECT_EQ(kv_.EventsOfType("salesops.targets.v1.PlanPublished").size(), 1u);
  absl::StatusOr<v1::Attainment> rep = Attainment(Rep("rep-1"), a.plan.name(), "members/rep-1");
  ASSERT_TRUE(rep.ok()) << rep.status();
  EXPECT_EQ(rep->actual().amount_minor(), 250'000) << "the booking of the race is counted";
}

// Two new versions of a plan published at once both supersede the version in
// force. The one that commits second lost a decision, not a read of the plan its
// etag names: ABORTED CONCURRENT_PUBLISH, as for two first publications, not run
// again (it would silently supersede the other), and the other stays in force.
TEST_F(TargetsApiTest, TwoVersionsPublishedAtOnceAreAConcurrentPublishNotAStaleEtag) {
  Allocated a = AllocatedPlan("p-ver", 1'200'000);
  ASSERT_TRUE(Publish(Director(), a.plan.name()).ok());
  const v1::TargetPlan mine = NewVersion(a.plan.name(), "p-ver-b");
  const v1::TargetPlan theirs = NewVersion(a.plan.name(), "p-ver-c");
  v1::PublishPlanRequest req;
  req.set_name(mine.name());
  req.set_etag(mine.etag());
  ASSERT_FALSE(req.etag().empty());
  BeforeNextCommit([&] { ASSERT_TRUE(Publish(Director(), theirs.name()).ok()); });
  v1::PublishPlanResponse resp;
  absl::Status s = api_.PublishPlan(Director(), req, &resp);
  StopCounting();
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
  EXPECT_EQ(ErrorReason(s), "CONCURRENT_PUBLISH") << s;
  EXPECT_EQ(commits_after_, 0) << "a decision conflict is not run again";
  EXPECT_EQ(PlanNow(mine.name()).state(), v1::PLAN_STATE_DRAFT);
  EXPECT_EQ(PlanNow(theirs.name()).state(), v1::PLAN_STATE_PUBLISHED);
  EXPECT_EQ(PlanNow(a.plan.name()).state(), v1::PLAN_STATE_SUPERSEDED);
  EXPECT_EQ(kv_.EventsOfType("salesops.targets.v1.PlanPublished").size(), 2u);
}

// A won deal after publication moves the rep, team and company once, even
// when delivered again; a rep reads only their own figures.
TEST_F(TargetsApiTest, AWonDealCountsOnceEvenWhenRedelivered) {
  Allocated a = AllocatedPlan("p-live", 3'000'000);
  ASSERT_TRUE(Publish(Director(), a.plan.name()).ok());
  const CloudEvent won = WonDeal("d-1", "rep-1", "t-hz", "east", 250'000);
  ASSERT_TRUE(attainment_.Handle(won).ok());
  ASSERT_TRUE(attainment_.Handle(won).ok()) << "a redelivery is not an error";

  absl::StatusOr<v1::Attainment> rep = Attainment(Rep("rep-1"), a.plan.name(), "members/rep-1");
  ASSERT_TRUE(rep.ok()) << rep.status();
  EXPECT_EQ(rep->actual().amount_minor(), 250'000);
  EXPECT_EQ(rep->target().amount_minor(), 1'000'000);
  EXPECT_EQ(rep->attainment_basis_points(), 2500);
  absl::StatusOr<v1::Attainment> team = Attainment(SupHz(), a.plan.name(), "orgUnits/t-hz");
  ASSERT_TRUE(team.ok()) << team.status();
  EXPECT_EQ(team->actual().amount_minor(), 250'000);
  EXPECT_EQ(team->level(), v1::ATTAINMENT_LEVEL_TEAM);
  EXPECT_EQ(Attainment(Rep("rep-2"), a.plan.name(), "members/rep-1").status().code(),
            absl::StatusCode::kPermissionDenied);

  int caused = 0;
  for (const v1::AttainmentUpdated& u : AttainmentUpdates(a.plan.name())) {
    if (u.cause_event_id() == won.id && u.subject() == "members/rep-1") {
      ++caused;
      EXPECT_EQ(u.actual().amount_minor(), 250'000);
      EXPECT_EQ(u.team(), "orgUnits/t-hz");
    }
  }
  EXPECT_EQ(caused, 1) << "one update for the rep, however often the deal is delivered";
}

// A rep's breakdown adds up the deals counted before and after a rep's
// breakdown counters became one mix per deal (a live plan keeps its older
// per-dimension fields), and a draft's breakdown, computed from the bookings,
// shows the deals kept as facts.
TEST_F(TargetsApiTest, ABreakdownCountsDealsFromBeforeAndAfterMixes) {
  Allocated a = AllocatedPlan("p-mix", 3'000'000);
  ASSERT_TRUE(Publish(Director(), a.plan.name()).ok());
  ASSERT_TRUE(attainment_.Handle(WonDeal("d-1", "rep-1", "t-hz", "east", 250'000)).ok());
  // A deal of 100,000 (pl-erp, partner, smb) as counted before mixes.
  WriteBatch older;
  older.HIncrBy(RollupBreakdownKey("p-mix", RollupSubject::Rep("rep-1")),
                {{"pl=pl-erp", 100'000}, {"ch=partner", 100'000}, {"ct=smb", 100'000}});
  older.HIncrBy(RollupKey("p-mix"), ActualField(RollupSubject::Rep("rep-1")), 100'000);
  ASSERT_TRUE(store_.Commit(older).ok());

  auto breakdown = [&](const std::string& plan, const std::string& by) {
    v1::GetAttainmentRequest req;
    req.set_plan(plan);
    req.set_subject("members/rep-1");
    req.set_breakdown_by(by);
    v1::GetAttainmentResponse resp;
    absl::Status s = api_.GetAttainment(Director(), req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    std::map<std::string, int64_t> out;
    for (const auto& row : resp.attainment().breakdown()) {
      out[row.value()] = row.actual().amount_minor();
    }
    EXPECT_EQ(resp.attainment().actual().amount_minor(), plan == a.plan.name() ? 350'000 : 250'000);
    return out;
  };
  using Rows = std::map<std::string, int64_t>;
  EXPECT_EQ(breakdown(a.plan.name(), "product_line"), (Rows{{"orgUnits/pl-erp", 350'000}}));
  // The plan never split its target by channel or customer type: that row is "".
  EXPECT_EQ(breakdown(a.plan.name(), "channel"),
            (Rows{{"", 0}, {"direct", 250'000}, {"partner", 100'000}}));
  EXPECT_EQ(breakdown(a.plan.name(), "customer_type"),
            (Rows{{"", 0}, {"enterprise", 250'000}, {"smb", 100'000}}));
  // A draft counts from the bookings kept as facts (the older deal above was
  // only counters, so it is not there).
  const v1::TargetPlan draft = NewVersion(a.plan.name(), "p-mix-2");
  EXPECT_EQ(breakdown(draft.name(), "channel"), (Rows{{"", 0}, {"direct", 250'000}}));
}

// Historical shares weigh won deals from the booking facts; a month without
// facts (deals from before they were kept) from the hash won deals were
// counted in before, and only such a month: November has facts, so its
// stale entry for rep-3 is not read.
TEST_F(TargetsApiTest, HistoricalShareWeighsBookingFactsAndOlderMonths) {
  absl::StatusOr<v1::TargetPlan> plan = CreatePlan(Director(), "p-hist", "acme", 650'000);
  ASSERT_TRUE(plan.ok()) << plan.status();
  auto pl = Allocate(Director(), plan->name(), "", v1::ALLOCATION_AXIS_PRODUCT_LINE,
                     v1::ALLOCATION_METHOD_EQUAL, {{"orgUnits/pl-erp", 0}});
  ASSERT_TRUE(pl.ok()) << pl.status();
  auto team = Allocate(Director(), plan->name(), (*pl)[0].name(), v1::ALLOCATION_AXIS_TEAM,
                       v1::ALLOCATION_METHOD_EQUAL, {{"orgUnits/t-hz", 0}});
  ASSERT_TRUE(team.ok()) << team.status();
  WriteBatch older;
  older.HIncrBy(BookingsKey("CNY", absl::CivilMonth(2026, 10)),
                {{"rp=rep-2", 300'000}, {"rp=rep-1", 100'000}, {"tm=t-hz", 400'000}});
  older.HIncrBy(BookingsKey("CNY", absl::CivilMonth(2026, 11)), "rp=rep-3", 999'999);
  ASSERT_TRUE(store_.Commit(older).ok());
  ASSERT_TRUE(attainment_.Handle(WonDeal("d-h", "rep-1", "t-hz", "east", 250'000)).ok());

  v1::AllocatePlanRequest req;
  req.set_plan(plan->name());
  req.set_parent_cell((*team)[0].name());
  req.set_axis(v1::ALLOCATION_AXIS_REP);
  req.set_method(v1::ALLOCATION_METHOD_HISTORICAL_SHARE);
  for (const char* r : {"rep-1", "rep-2", "rep-3"}) {
    req.add_inputs()->set_key(absl::StrCat("members/", r));
  }
  req.mutable_history_start_date()->set_year(2026);
  req.mutable_history_start_date()->set_month(10);
  req.mutable_history_start_date()->set_day(1);
  req.mutable_history_end_date()->set_year(2026);
  req.mutable_history_end_date()->set_month(11);
  req.mutable_history_end_date()->set_day(10);
  v1::AllocatePlanResponse resp;
  ASSERT_TRUE(api_.AllocatePlan(SupHz(), req, &resp).ok());
  std::map<std::string, int64_t> got;
  for (const auto& c : resp.cells()) {
    got[c.member()] = c.amount().amount_minor();
  }
  EXPECT_EQ(got,
            (std::map<std::string, int64_t>{
                {"members/rep-1", 350'000}, {"members/rep-2", 300'000}, {"members/rep-3", 0}}));
}

// CountersByHash puts every increment where CounterLocation does, one entry
// per hash, hashes in first-seen order, fields in their order.
TEST(PlanStoreTest, CountersByHashGroupsAsCounterLocationPlaces) {
  const std::vector<std::pair<std::string, int64_t>> increments = {
      {"cell|root", 5},          {"a|r|rep-1", 5}, {"a|r|rep-1|m=pl|direct|smb", 5},
      {"a|t|t-hz", 5},           {"u|t|t-hz", 5},  {"a|t|t-hz|pl=pl", 5},
      {"a|t|t-hz|ch=direct", 5}, {"a|c|", 5},      {"a|c||ct=smb", 5}};
  const auto grouped = CountersByHash("p-1", increments);
  std::vector<std::pair<std::string, std::string>> placed, expected;
  std::vector<std::string> keys;
  for (const auto& [key, fields] : grouped) {
    keys.push_back(key);
    for (const auto& [field, delta] : fields) {
      EXPECT_EQ(delta, 5);
      placed.emplace_back(key, field);
    }
  }
  for (const auto& [field, delta] : increments) {
    expected.push_back(CounterLocation("p-1", field));
  }
  std::sort(placed.begin(), placed.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(placed, expected);
  EXPECT_THAT(keys,
              ElementsAre(RollupKey("p-1"), RollupBreakdownKey("p-1", RollupSubject::Rep("rep-1")),
                          RollupBreakdownKey("p-1", RollupSubject::Team("t-hz")),
                          RollupBreakdownKey("p-1", RollupSubject::Company())));
}

// A rep who moves to a team the plan covers takes their open target along,
// in a new published version; the same change delivered again changes nothing.
TEST_F(TargetsApiTest, AMovedRepTakesTheTargetToTheNewTeamOnce) {
  Allocated a = AllocatedPlan("p-move", 1'200'000, /*two_teams=*/true);
  ASSERT_TRUE(Publish(Director(), a.plan.name()).ok());
  seed_.Member("rep-3", "t-sh", ov1::ROLE_REP);
  absl::StatusOr<std::vector<std::string>> moved =
      api_.ApplyMemberMove("rep-3", "t-hz", "t-sh", "change-1", "支援上海");
  ASSERT_TRUE(moved.ok()) << moved.status();
  ASSERT_EQ(moved->size(), 1u);

  v1::ListAllocationCellsRequest list;
  list.set_plan(moved->front());
  list.set_page_size(100);
  v1::ListAllocationCellsResponse cells;
  ASSERT_TRUE(api_.ListAllocationCells(Director(), list, &cells).ok());
  int64_t hz = -1, sh = -1, rep3_in_sh = -1;
  for (const v1::AllocationCell& c : cells.cells()) {
    if (c.axis() == v1::ALLOCATION_AXIS_TEAM) {
      (c.org_unit() == "orgUnits/t-hz" ? hz : sh) = c.amount().amount_minor();
    }
    if (c.member() == "members/rep-3" && c.org_unit() == "orgUnits/t-sh") {
      rep3_in_sh = c.amount().amount_minor();
    }
  }
  EXPECT_EQ(rep3_in_sh, 200'000) << "a third of t-hz's 600,000";
  EXPECT_EQ(hz, 400'000);
  EXPECT_EQ(sh, 800'000);
  EXPECT_EQ(hz + sh, 1'200'000) << "the company total is unchanged";

  const size_t published = kv_.EventsOfType("salesops.targets.v1.PlanPublished").size();
  absl::StatusOr<std::vector<std::string>> again =
      api_.ApplyMemberMove("rep-3", "t-hz", "t-sh", "change-1", "支援上海");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *moved) << "the same change, redelivered, names the same version";
  EXPECT_EQ(kv_.EventsOfType("salesops.targets.v1.PlanPublished").size(), published)
      << "and publishes nothing new";
}

// A write whose commit fails (Redis gone) answers the error and leaves
// neither the plan nor its event behind.
TEST_F(TargetsApiTest, AFailedCommitLeavesNothingBehind) {
  Quarter();
  const size_t before = kv_.Events().size();
  kv_.FailNextCommit();
  absl::StatusOr<v1::TargetPlan> plan = CreatePlan(Director(), "p-lost", "acme", 1'000);
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(kv_.Events().size(), before);
  v1::GetPlanRequest get;
  get.set_name("plans/p-lost");
  v1::GetPlanResponse got;
  EXPECT_EQ(api_.GetPlan(Director(), get, &got).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(CreatePlan(Director(), "p-lost", "acme", 1'000).ok()) << "the retry succeeds";
}

// One world of the fixture, to run the same events twice side by side.
class AttainmentWorld : public TargetsApiTest {
 public:
  void TestBody() override {}
  void Build() {
    SetUp();
    plan_ = AllocatedPlan("p-q4", 1'200'000, /*two_teams=*/true).plan;
    ASSERT_TRUE(Publish(Director(), plan_.name()).ok());
    setup_events_ = kv_.Events().size();
  }
  template <typename E>
  CloudEvent Deal(const std::string& event_id, E e, const std::string& opp, const std::string& rep,
                  const std::string& team, const std::string& region, int64_t amount,
                  const std::string& cur = "CNY") {
    SetDeal(e, opp, rep, team, region, amount, cur);
    CloudEvent out =
        MakeCloudEvent("/salesops/customers", "c-" + opp, e.opportunity(), e, clock_.Now());
    out.id = event_id;  // the same in both worlds, and a redelivery keeps it
    return out;
  }
  CloudEvent Won(const std::string& event_id, const std::string& opp, const std::string& rep,
                 const std::string& team, const std::string& region, int64_t amount,
                 const std::string& cur = "CNY") {
    cv1::OpportunityWon w;
    const absl::CivilDay today = absl::ToCivilDay(clock_.Now(), tz_);
    w.mutable_won_date()->set_year(static_cast<int>(today.year()));
    w.mutable_won_date()->set_month(today.month());
    w.mutable_won_date()->set_day(today.day());
    return Deal(event_id, w, opp, rep, team, region, amount, cur);
  }
  // Every figure the projection keeps, as one comparable map.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> Figures(
      const std::vector<std::string>& opps) {
    const absl::CivilDay today = absl::ToCivilDay(clock_.Now(), tz_);
    std::vector<std::string> keys = {
        RollupKey("p-q4"), PipelineKey("CNY"), PipelineKey("USD"),
        FactsKey(v1::ATTAINMENT_BASIS_BOOKING, "CNY", absl::CivilMonth(today)), RevsKey()};
    for (const std::string& o : opps) {
      keys.push_back(OpportunityKey(o));
    }
    // Each subject's breakdown hash (a rep's mixes, the fields per dimension
    // above): the subjects are those with an actual ("a|<l>|<id>").
    auto rollup = store_.HGetAll(RollupKey("p-q4"));
    EXPECT_TRUE(rollup.ok()) << rollup.status();
    for (const auto& [field, value] : rollup.value_or(decltype(rollup)::value_type())) {
      if (field.size() > 3 && field.rfind("a|", 0) == 0 && field.find('|', 2) == 3 &&
          field.find('|', 4) == std::string::npos) {
        keys.push_back(RollupBreakdownKey("p-q4", {LevelFromCode(field[2]), field.substr(4)}));
      }
    }
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> out;
    for (const std::string& k : keys) {
      auto all = store_.HGetAll(k);
      EXPECT_TRUE(all.ok()) << all.status();
      std::vector<std::pair<std::string, std::string>> sorted = all.value_or(decltype(sorted)());
      std::sort(sorted.begin(), sorted.end());
      out[k] = sorted;
    }
    return out;
  }
  // The events the projection caused, without their random ids: type, subject,
  // and the figures they carry, in commit order; those of the set-up (the
  // publication) left out.
  std::vector<std::string> Caused() const {
    std::vector<std::string> out;
    const auto events = kv_.Events();
    for (size_t i = setup_events_; i < events.size(); ++i) {
      const CloudEvent& e = events[i].first;
      if (e.type == "salesops.targets.v1.AttainmentUpdated") {
        auto u = DecodePayload<v1::AttainmentUpdated>(e);
        EXPECT_TRUE(u.ok());
        out.push_back(absl::StrCat("updated ", u->subject(), " actual=", u->actual().amount_minor(),
                                   " unplanned=", u->unplanned().amount_minor(),
                                   " cause=", u->cause_event_id()));
      } else if (e.type == "salesops.targets.v1.BookingUnplanned") {
        auto u = DecodePayload<v1::BookingUnplanned>(e);
        EXPECT_TRUE(u.ok());
        out.push_back(absl::StrCat("unplanned ", u->rep(), " ", u->amount().amount_minor(),
                                   " cause=", u->cause_event_id()));
      }
    }
    return out;
  }
  AttainmentProjection& projection() { return attainment_; }
  InMemoryKv& kv() { return kv_; }
  v1::TargetPlan plan_;
  size_t setup_events_ = 0;
};

// A mixed batch: deals opened, re-priced, won (several by one rep, so the
// figures their events carry chain through the wave), lost, won without ever
// being opened, in another currency, delivered twice, and one poison record.
std::vector<CloudEvent> MixedBatch(AttainmentWorld& w, std::vector<std::string>* opps) {
  std::vector<CloudEvent> out;
  auto created = [&](const std::string& id, const std::string& opp, const std::string& rep,
                     const std::string& team, const std::string& region, int64_t amount) {
    opps->push_back(opp);
    out.push_back(w.Deal(id, cv1::OpportunityCreated(), opp, rep, team, region, amount));
  };
  created("e1", "o1", "rep-1", "t-hz", "east", 100'000);
  created("e2", "o2", "rep-1", "t-hz", "east", 50'000);
  created("e3", "o3", "rep-2", "t-hz", "east", 70'000);
  created("e4", "o4", "rep-4", "t-sh", "east", 40'000);
  created("e5", "o5", "rep-5", "t-cd", "west", 30'000);
  cv1::OpportunityStageChanged repriced;
  repriced.set_to_stage(cv1::OPPORTUNITY_STAGE_NEGOTIATION);
  out.push_back(w.Deal("e6", repriced, "o1", "rep-1", "t-hz", "east", 120'000));
  out.push_back(w.Won("e7", "o2", "rep-1", "t-hz", "east", 50'000));
  out.push_back(w.Won("e8", "o3", "rep-2", "t-hz", "east", 70'000));
  out.push_back(w.Won("e9", "o6", "rep-1", "t-hz", "east", 25'000));  // never opened
  opps->push_back("o6");
  out.push_back(w.Won("e7", "o2", "rep-1", "t-hz", "east", 50'000));  // delivered again
  out.push_back(w.Deal("e10", cv1::OpportunityLost(), "o4", "rep-4", "t-sh", "east", 0));
  out.push_back(w.Won("e11", "o5", "rep-5", "t-cd", "west", 30'000));  // no cell: unplanned
  out.push_back(w.Won("e12", "o7", "rep-1", "t-hz", "east", -5));      // poison
  out.push_back(w.Won("e13", "o8", "rep-4", "t-sh", "east", 9'000, "USD"));
  opps->push_back("o8");
  out.push_back(w.Won("e14", "o1", "rep-1", "t-hz", "east", 120'000));
  out.push_back(w.Won("e15", "o9", "rep-3", "t-hz", "east", 10'000));
  out.push_back(w.Won("e16", "o10", "rep-4", "t-sh", "east", 20'000));
  opps->push_back("o9");
  opps->push_back("o10");
  return out;
}

// What a wave publishes against what one event at a time publishes, the
// latter taking the events in the order the waves apply them (each rep's
// bookings side by side in its wave): the same events in the same order, but
// of a subject's AttainmentUpdated events in one combined commit only the
// last (WriteBatch::EmitLatest): so `waves` is a subsequence of `single`,
// every BookingUnplanned is kept, and each subject's last figure is the same.
void ExpectSameLatestFigures(const std::vector<std::string>& waves,
                             const std::vector<std::string>& single) {
  size_t at = 0;
  for (const std::string& w : waves) {
    while (at < single.size() && single[at] != w) {
      ++at;
    }
    ASSERT_LT(at, single.size()) << "not in order, or not published one by one: " << w;
    ++at;
  }
  auto last = [](const std::vector<std::string>& caused) {
    std::map<std::string, std::string> out;  // subject → its last update
    int unplanned = 0;
    for (const std::string& c : caused) {
      if (absl::StartsWith(c, "updated ")) {
        out[c.substr(0, c.find(" actual="))] = c;
      } else {
        out[absl::StrCat("unplanned #", ++unplanned)] = c;
      }
    }
    return out;
  };
  EXPECT_EQ(last(waves), last(single));
}

// The order HandleBatch applies MixedBatch in: within each of its three waves
// (o1 and o2 recur), each rep's bookings side by side at its first booking's
// place. Wave two: e6 (a re-pricing, no booking), rep-1's e7 and e9, rep-2's
// e8. Wave three: rep-1's e7 (again) and e14, e10 (lost), rep-5's e11, the
// poison e12 (nothing to apply), rep-4's e13 and e16, rep-3's e15.
const std::vector<size_t> kMixedBatchWaveOrder = {0, 1,  2,  3,  4,  5,  6,  8, 7,
                                                  9, 14, 10, 11, 12, 13, 16, 15};

// Three identical worlds and the mixed batch: `waves` takes it through
// HandleBatch (after `before_waves`), `single` one event at a time, in the
// order the waves apply it (`one_by_one[k]` is the status of event k), and
// `delivered` one event at a time in the order it came.
struct SideBySide {
  AttainmentWorld waves, single, delivered;
  std::vector<std::string> opps;
  std::vector<absl::Status> in_waves, one_by_one;

  explicit SideBySide(const std::function<void(AttainmentWorld&)>& before_waves = nullptr) {
    waves.Build();
    single.Build();
    delivered.Build();
    std::vector<std::string> ignored;
    for (const CloudEvent& e : MixedBatch(delivered, &ignored)) {
      (void)delivered.projection().Handle(e);  // the poison record fails, as in the others
    }
    std::vector<std::string> unused;
    const std::vector<CloudEvent> batch = MixedBatch(waves, &opps);
    const std::vector<CloudEvent> same = MixedBatch(single, &unused);
    EXPECT_EQ(same.size(), kMixedBatchWaveOrder.size());
    std::vector<const CloudEvent*> ptrs;
    for (const CloudEvent& e : batch) {
      ptrs.push_back(&e);
    }
    if (before_waves) {
      before_waves(waves);
    }
    in_waves = waves.projection().HandleBatch(ptrs);
    one_by_one.resize(same.size());
    for (size_t k : kMixedBatchWaveOrder) {
      one_by_one[k] = single.projection().Handle(same[k]);
    }
  }
};

// Waves give what one event at a time gives: the same figures, and the same
// events in the same order, less the roll-up updates a later one in the same
// commit states anew.
TEST(AttainmentWavesTest, ABatchInWavesEqualsTheSameEventsOneByOne) {
  SideBySide run;
  AttainmentWorld& waves = run.waves;
  AttainmentWorld& single = run.single;
  const std::vector<std::string>& opps = run.opps;
  const std::vector<absl::Status>& in_waves = run.in_waves;
  ASSERT_EQ(in_waves.size(), run.one_by_one.size());
  for (size_t i = 0; i < in_waves.size(); ++i) {
    EXPECT_EQ(in_waves[i].code(), run.one_by_one[i].code())
        << "event " << i << ": " << in_waves[i] << " vs " << run.one_by_one[i];
  }
  EXPECT_EQ(in_waves[12].code(), absl::StatusCode::kInvalidArgument) << "the poison record";

  const auto figures = waves.Figures(opps);
  EXPECT_EQ(figures, single.Figures(opps));
  EXPECT_EQ(figures, run.delivered.Figures(opps)) << "the order within a wave changes no figure";
  // Nor any subject's last published figure (its cause aside: in the order
  // delivered, another booking of the wave may be a team's last).
  auto last_figures = [](const std::vector<std::string>& caused) {
    std::map<std::string, std::string> out;
    for (const std::string& c : caused) {
      if (absl::StartsWith(c, "updated ")) {
        out[c.substr(0, c.find(" actual="))] = c.substr(0, c.find(" cause="));
      }
    }
    return out;
  };
  EXPECT_EQ(last_figures(waves.Caused()), last_figures(run.delivered.Caused()));
  // The comparison covers the breakdowns: a rep's mixes among them.
  int mixes = 0;
  for (const auto& [key, fields] : figures) {
    for (const auto& [field, value] : fields) {
      mixes += absl::StrContains(key, "rollup_bd:p-q4:r|") && absl::StartsWith(field, "m=");
    }
  }
  EXPECT_GT(mixes, 1);
  const std::vector<std::string> caused = waves.Caused();
  ExpectSameLatestFigures(caused, single.Caused());
  EXPECT_EQ(single.Caused().size(), 28u) << "one by one: every roll-up each won deal moved";
  EXPECT_EQ(caused.size(), 15u) << "in waves: each roll-up's last figure per wave";
  // rep-1 won 50,000 and 25,000 in the second wave, 120,000 in the third:
  // each wave's event carries the running total after its last booking.
  std::vector<std::string> rep1;
  for (const std::string& c : caused) {
    if (absl::StartsWith(c, "updated members/rep-1 ")) {
      rep1.push_back(c.substr(0, c.find(" unplanned")));
    }
  }
  EXPECT_THAT(rep1, ElementsAre("updated members/rep-1 actual=75000",
                                "updated members/rep-1 actual=195000"));
  const AttainmentBatchStats& stats = waves.projection().batch_stats();
  EXPECT_EQ(stats.waves.load(), 3) << "o1 and o2 recur: the batch splits twice";
  EXPECT_EQ(stats.alone.load(), 0);
  EXPECT_EQ(stats.in_waves.load(), 15) << "all but the redelivery and the poison";
}

// A rep without a cell in the plan is placed by each deal's team, and
// consumers keep a figure per team (forecast): two deals in one wave, in two
// teams, publish the rep's update for each team.
TEST(AttainmentWavesTest, ARepWithoutACellKeepsAnUpdatePerTeam) {
  AttainmentWorld w;
  w.Build();
  const std::vector<CloudEvent> batch = {
      w.Won("u1", "q1", "rep-5", "t-cd", "west", 30'000),
      w.Won("u2", "q2", "rep-5", "t-hz", "east", 20'000),
      w.Won("u3", "q3", "rep-5", "t-cd", "west", 10'000),
  };
  std::vector<const CloudEvent*> ptrs;
  for (const CloudEvent& e : batch) {
    ptrs.push_back(&e);
  }
  for (const absl::Status& s : w.projection().HandleBatch(ptrs)) {
    EXPECT_TRUE(s.ok()) << s;
  }
  std::vector<std::string> rep5;  // team, actual, cause of each rep-5 update
  for (const auto& [e, topic] : w.kv().Events()) {
    if (e.type != "salesops.targets.v1.AttainmentUpdated") {
      continue;
    }
    auto u = DecodePayload<v1::AttainmentUpdated>(e);
    ASSERT_TRUE(u.ok());
    if (u->subject() == "members/rep-5") {
      rep5.push_back(
          absl::StrCat(u->team(), " ", u->actual().amount_minor(), " ", u->cause_event_id()));
    }
  }
  EXPECT_THAT(rep5, ElementsAre("orgUnits/t-hz 50000 u2", "orgUnits/t-cd 60000 u3"));
  EXPECT_EQ(w.projection().batch_stats().in_waves.load(), 3);
}

// A wave too large for one script (a consumer batch when events queue up)
// commits in chained chunks: the same figures as one event at a time, and a
// subject's running total published once per chunk, rising.
// 400 won deals, the i-th (event "w<i>", deal "big-<i>", 1,000 + i) booked by
// the (i % reps)-th of rep-1..rep-5 (rep-1..3 in t-hz, rep-4 in t-sh, east;
// rep-5 in t-cd, west), for one world; `opps` gets the deals.
std::vector<CloudEvent> FourHundredWon(AttainmentWorld& w, int reps,
                                       std::vector<std::string>* opps = nullptr) {
  const char* const all[][3] = {{"rep-1", "t-hz", "east"},
                                {"rep-2", "t-hz", "east"},
                                {"rep-3", "t-hz", "east"},
                                {"rep-4", "t-sh", "east"},
                                {"rep-5", "t-cd", "west"}};
  std::vector<CloudEvent> out;
  for (int i = 0; i < 400; ++i) {
    const auto& r = all[i % reps];
    const std::string opp = absl::StrCat("big-", i);
    if (opps != nullptr) {
      opps->push_back(opp);
    }
    out.push_back(w.Won(absl::StrCat("w", i), opp, r[0], r[1], r[2], 1'000 + i));
  }
  return out;
}

std::vector<const CloudEvent*> Pointers(const std::vector<CloudEvent>& events) {
  std::vector<const CloudEvent*> ptrs;
  for (const CloudEvent& e : events) {
    ptrs.push_back(&e);
  }
  return ptrs;
}

// FourHundredWon's events one by one in the order a wave applies them: each
// rep's deals side by side, the reps in the order they first booked.
void HandleGroupedByRep(AttainmentWorld& w, const std::vector<CloudEvent>& events, int reps) {
  for (int r = 0; r < reps; ++r) {
    for (size_t i = r; i < events.size(); i += reps) {
      ASSERT_TRUE(w.projection().Handle(events[i]).ok()) << i;
    }
  }
}

TEST(AttainmentWavesTest, AWaveOfManyChunksEqualsTheSameEventsOneByOne) {
  AttainmentWorld waves, single;
  waves.Build();
  single.Build();
  std::vector<std::string> opps;
  const std::vector<CloudEvent> in_waves = FourHundredWon(waves, 5, &opps);
  const std::vector<CloudEvent> one_by_one = FourHundredWon(single, 5);
  const std::vector<const CloudEvent*> ptrs = Pointers(in_waves);
  const auto start = std::chrono::steady_clock::now();
  for (const absl::Status& s : waves.projection().HandleBatch(ptrs)) {
    EXPECT_TRUE(s.ok()) << s;
  }
  const int64_t wall_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count();
  HandleGroupedByRep(single, one_by_one, 5);
  EXPECT_EQ(waves.Figures(opps), single.Figures(opps));
  ExpectSameLatestFigures(waves.Caused(), single.Caused());
  const AttainmentBatchStats& stats = waves.projection().batch_stats();
  EXPECT_EQ(stats.waves.load(), 1);
  EXPECT_EQ(stats.in_waves.load(), 400);
  EXPECT_EQ(stats.alone.load(), 0);
  // The wave's time by step: each step took some, and together no more
  // than the whole call.
  EXPECT_GT(stats.read_ns.load(), 0);
  EXPECT_GT(stats.build_ns.load(), 0);
  EXPECT_GT(stats.commit_wait_ns.load(), 0);
  EXPECT_LE(stats.read_ns.load() + stats.build_ns.load() + stats.commit_wait_ns.load(), wall_ns);
  EXPECT_EQ(single.projection().batch_stats().build_ns.load(), 0) << "no wave one by one";
  // A subject's figure: once per chunk that booked for it, each the running
  // total. t-hz (rep-1, rep-2, rep-3: 240 deals) spans chunks; rep-1's 80
  // deals, side by side, span one or two.
  std::vector<int64_t> rep1, hz;
  const auto events = waves.kv().Events();
  for (size_t i = waves.setup_events_; i < events.size(); ++i) {
    const CloudEvent& e = events[i].first;
    if (e.type != "salesops.targets.v1.AttainmentUpdated") {
      continue;
    }
    auto u = DecodePayload<v1::AttainmentUpdated>(e);
    ASSERT_TRUE(u.ok());
    if (u->subject() == "members/rep-1") {
      rep1.push_back(u->actual().amount_minor());
    } else if (u->subject() == "orgUnits/t-hz") {
      hz.push_back(u->actual().amount_minor());
    }
  }
  ASSERT_GE(hz.size(), 2u) << "240 deals are more than one chunk";
  EXPECT_LT(hz.size(), 240u) << "fewer updates than t-hz's deals: summed within a chunk";
  EXPECT_TRUE(std::is_sorted(hz.begin(), hz.end()));
  EXPECT_EQ(std::adjacent_find(hz.begin(), hz.end()), hz.end());
  ASSERT_GE(rep1.size(), 1u);
  EXPECT_LE(rep1.size(), 2u) << "rep-1's deals side by side, in one chunk or two";
  EXPECT_TRUE(std::is_sorted(rep1.begin(), rep1.end()));
  EXPECT_EQ(std::adjacent_find(rep1.begin(), rep1.end()), rep1.end());
  int64_t rep1_total = 0, hz_total = 0;
  for (int i = 0; i < 400; ++i) {
    if (i % 5 == 0) {
      rep1_total += 1'000 + i;
    }
    if (i % 5 < 3) {
      hz_total += 1'000 + i;
    }
  }
  EXPECT_EQ(rep1.back(), rep1_total);
  EXPECT_EQ(hz.back(), hz_total);
}

// A wave's second commit chunk fails without an answer (as by a lost
// connection); the chunks after it, made assuming its writes, are then refused
// by its missing marker. They must not commit one by one: each would publish a
// rep's or team's figure counting the failed chunk's deals before those are
// applied. They are redone alone after the failed chunk's events, in the
// wave's order, so every figure published is one that the same events one by
// one in that order publish too.
TEST(AttainmentWavesTest, ChunksAfterAFailedOneAreRedoneInOrder) {
  AttainmentWorld waves, single;
  waves.Build();
  single.Build();
  std::vector<std::string> opps;
  const std::vector<CloudEvent> in_waves = FourHundredWon(waves, 4, &opps);
  const std::vector<CloudEvent> one_by_one = FourHundredWon(single, 4);
  const std::vector<const CloudEvent*> ptrs = Pointers(in_waves);
  waves.kv().FailNextCommit(/*n=*/1, /*after=*/1);  // the wave's second chunk
  for (const absl::Status& s : waves.projection().HandleBatch(ptrs)) {
    EXPECT_TRUE(s.ok()) << s;
  }
  HandleGroupedByRep(single, one_by_one, 4);
  EXPECT_EQ(waves.Figures(opps), single.Figures(opps));
  ExpectSameLatestFigures(waves.Caused(), single.Caused());
  const AttainmentBatchStats& stats = waves.projection().batch_stats();
  EXPECT_EQ(stats.waves.load(), 1);
  EXPECT_GT(stats.in_waves.load(), 0) << "the first chunk";
  // At least three chunks: the failed one and one after it that a chain refused.
  EXPECT_GT(stats.alone.load(), 2 * stats.in_waves.load()) << "the failed chunk and those after";
  EXPECT_EQ(stats.in_waves.load() + stats.alone.load(), 400);
}

// An event that fails in its wave and again alone (the consumer retries it
// after the batch) holds back the later events of its deal, so they still
// apply after it: a Won applied before its deal's Created would leave the
// deal in the open pipeline for good. Other deals' events go ahead.
TEST(AttainmentWavesTest, AFailedEventHoldsBackTheLaterEventsOfItsDeal) {
  AttainmentWorld waves, single;
  waves.Build();
  single.Build();
  auto batch = [](AttainmentWorld& w) {
    return std::vector<CloudEvent>{
        w.Deal("f1", cv1::OpportunityCreated(), "fo1", "rep-1", "t-hz", "east", 100'000),
        w.Won("f2", "fo1", "rep-1", "t-hz", "east", 100'000),
        w.Won("f3", "fo2", "rep-2", "t-hz", "east", 40'000),
    };
  };
  const std::vector<CloudEvent> in_waves = batch(waves);
  std::vector<const CloudEvent*> ptrs;
  for (const CloudEvent& e : in_waves) {
    ptrs.push_back(&e);
  }
  waves.kv().FailNextCommit(2);  // f1's wave, then f1 alone
  const std::vector<absl::Status> out = waves.projection().HandleBatch(ptrs);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].code(), absl::StatusCode::kUnavailable) << out[0];
  EXPECT_EQ(out[1].code(), absl::StatusCode::kUnavailable) << out[1];
  EXPECT_EQ(ErrorReason(out[1]), "ATTAINMENT_ORDER") << out[1];
  EXPECT_TRUE(out[2].ok()) << out[2];
  // The consumer then takes the failed ones one by one, in order.
  EXPECT_TRUE(waves.projection().Handle(in_waves[0]).ok());
  EXPECT_TRUE(waves.projection().Handle(in_waves[1]).ok());
  for (const CloudEvent& e : batch(single)) {
    ASSERT_TRUE(single.projection().Handle(e).ok());
  }
  EXPECT_EQ(waves.Figures({"fo1", "fo2"}), single.Figures({"fo1", "fo2"}));
}

// A wave whose commit fails (as by a lost connection) applies its events on
// their own: nothing lost, nothing twice.
TEST(AttainmentWavesTest, AFailedCommitInAWaveIsAppliedAlone) {
  // The first wave's commit fails: its events are committed as one script
  // (ProjectionStore::TryApplyCombined), so all of them go alone.
  SideBySide run([](AttainmentWorld& w) { w.kv().FailNextCommit(); });
  AttainmentWorld& waves = run.waves;
  AttainmentWorld& single = run.single;
  const std::vector<std::string>& opps = run.opps;
  const std::vector<absl::Status>& in_waves = run.in_waves;
  for (size_t i = 0; i < in_waves.size(); ++i) {
    EXPECT_EQ(in_waves[i].ok(), i != 12) << i << ": " << in_waves[i];
  }
  EXPECT_EQ(waves.Figures(opps), single.Figures(opps));
  const AttainmentBatchStats& stats = waves.projection().batch_stats();
  EXPECT_EQ(stats.alone.load(), 5) << "the first wave: the five events before o1 recurs";
  EXPECT_EQ(stats.in_waves.load() + stats.alone.load(), 15) << "each event once, one way";
  ExpectSameLatestFigures(waves.Caused(), single.Caused());
}

}  // namespace
}  // namespace salesops::targets
