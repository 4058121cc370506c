// `make chaos`, the consumers: two replicas of one deployment of each service that
// reacts to events (shared consumer groups and leases, as two pods of one Deployment),
// while events stream in as their publisher would; one replica is killed with -9 and a
// new one takes its place. Each test then checks the service's own side effect:
//   - warning engine: every stalled deal warned, no (rule, subject) raised twice;
//   - targets: the rep's and the team's attainment equal to the fen the deals won;
//   - performance: the rep's commission statement credits exactly the deals won, each
//     deal on it;
//   - forecast: the team's and the rep's closed-to-date equal to the deals won;
//   - sync: every warning reaches the team's group robot at most once, and every one
//     not delivered is an IN_DOUBT delivery an admin can see (never silently lost).
// Each prints a one-row table. Its "complete s" is the recovery: from the last event
// published to the side effect complete (the barrier met). The waits are barriers (the
// figure reaching its sum, the consumers' caught-up gauge, an empty outbox); the 3 s /
// 2 s / 4 s around the kill are the fault's schedule.
#include <stdio.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/events/cloud_event.h"
#include "common/time/clock.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/forecast/v1/forecast_service.grpc.pb.h"
#include "salesops/org/v1/org_events.pb.h"
#include "salesops/performance/v1/performance_service.grpc.pb.h"
#include "salesops/sync/v1/sync_service.grpc.pb.h"
#include "salesops/targets/v1/targets_service.grpc.pb.h"
#include "salesops/warning/v1/warning_events.pb.h"
#include "services/sync/testing/fake_group_robot.h"
#include "tests/chaos/chaos_support.h"
#include "tests/integration/customers_env.h"
#include "tests/integration/directory_barrier.h"
#include "tests/integration/forecast_env.h"
#include "tests/integration/performance_env.h"
#include "tests/integration/sync_env.h"
#include "tests/integration/targets_env.h"
#include "tests/integration/test_env.h"
#include "tests/integration/warning_env.h"

namespace salesops::testing {
namespace {

namespace v1 = salesops::org::v1;
namespace cv1 = salesops::customers::v1;
namespace fv1 = salesops::forecast::v1;
namespace pv1 = salesops::performance::v1;
namespace sv1 = salesops::sync::v1;
namespace tv1 = salesops::targets::v1;
namespace wv1 = salesops::warning::v1;

constexpr char kCustomersTopic[] = "salesops.customers.events.v1";
constexpr char kWarningTopic[] = "salesops.warning.events.v1";

absl::TimeZone China() { return absl::FixedTimeZone(8 * 3600); }

int64_t WonAmount(int i) { return 1'000'00 + i; }

// Won deal i of `rep` in `team` (each of its own customer, so spread over the
// partitions), won today, worth 1,000.00 yuan + i fen, as the customers service
// publishes it.
CloudEvent WonDeal(const std::string& prefix, int i, const std::string& rep,
                   const std::string& team, const std::string& region,
                   const std::string& product_line) {
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), China());
  cv1::OpportunityWon won;
  won.set_opportunity(absl::StrCat("opportunities/", prefix, "-o-", i));
  won.set_customer(absl::StrCat("customers/", prefix, "-c-", i));
  won.set_owner("members/" + rep);
  won.set_team("orgUnits/" + team);
  won.set_region("orgUnits/" + region);
  won.set_product_line("orgUnits/" + product_line);
  won.set_channel("direct");
  won.set_customer_type("enterprise");
  won.set_from_stage(cv1::OPPORTUNITY_STAGE_CONTRACT);
  won.mutable_amount()->set_amount_minor(WonAmount(i));
  won.mutable_amount()->set_currency_code("CNY");
  won.mutable_won_date()->set_year(static_cast<int>(today.year()));
  won.mutable_won_date()->set_month(today.month());
  won.mutable_won_date()->set_day(today.day());
  return MakeCloudEvent("/salesops/customers", absl::StrCat(prefix, "-c-", i), won.opportunity(),
                        won, absl::Now());
}

// Through `org`: the company id("co"), its region id("east") with the team id("team")
// (a supervisor id("sup") and the rep id("rep")), and the product line id("pl").
void CreateSalesOrg(OrgServer& org, const std::function<std::string(const std::string&)>& id) {
  CreateOrgUnit(org, id("co"), v1::ORG_UNIT_KIND_COMPANY, "");
  CreateOrgUnit(org, id("east"), v1::ORG_UNIT_KIND_REGION, id("co"));
  CreateOrgUnit(org, id("team"), v1::ORG_UNIT_KIND_TEAM, id("east"));
  CreateOrgUnit(org, id("pl"), v1::ORG_UNIT_KIND_PRODUCT_LINE, id("co"));
  CreateMember(org, id("sup"), v1::ROLE_SUPERVISOR, id("team"));
  CreateMember(org, id("rep"), v1::ROLE_REP, id("team"));
}

// Polls `done` every 200 ms (the service's own figure: the barrier) for up to `limit`.
bool Until(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(120)) {
  for (const absl::Time end = absl::Now() + limit; absl::Now() < end;) {
    if (done()) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  return done();
}

// Two warning engine replicas (one deployment: shared consumer groups and leases)
// while stalled-deal events stream in; one is killed with -9 and replaced. The
// engine's side effect is the warning: every deal must get its stalled warning, and no
// (rule, subject) more than one WarningRaised, whichever replica evaluated the event,
// redelivered or not.
TEST(ChaosTest, WarningEngineReplicaKilledUnderLoad) {
  const TestEnv& env = TestEnv::Get();
  const std::string sfx = UniqueSuffix();
  // The org the warnings are routed in: a team with its supervisor and a rep.
  OrgServer org("org-chaos-warn-" + sfx);
  org.Start();
  const std::string co = "cw-co-" + sfx, team = "cw-team-" + sfx;
  const std::string sup = "cw-sup-" + sfx, rep = "cw-rep-" + sfx;
  CreateOrgUnit(org, co, v1::ORG_UNIT_KIND_COMPANY, "");
  CreateOrgUnit(org, team, v1::ORG_UNIT_KIND_TEAM, co);
  CreateMember(org, sup, v1::ROLE_SUPERVISOR, team);
  CreateMember(org, rep, v1::ROLE_REP, team);

  const std::vector<std::string> shared = {"--lease_namespace=warning-chaos-" + sfx,
                                           "--warning_engine_group=warning-engine-chaos-" + sfx,
                                           "--warning_directory_group=warning-dir-chaos-" + sfx};
  auto replica = [&] { return std::make_unique<WarningServer>(shared); };
  auto a = replica();
  auto b = replica();
  a->Start();
  b->Start();
  DirectoryBarrier known("warn:{warn}:");  // the engine's own directory
  known.Unit(team, co);
  known.Member(sup, team);
  known.Member(rep, team);
  ASSERT_TRUE(known.Wait());
  TopicReader reader(env.kafka_bootstrap, "salesops.warning.events.v1");

  // Deals that entered the proposal stage 40 days ago: each stalls at once.
  const absl::Time entered = absl::Now() - absl::Hours(24 * 40);
  EventStream stream(kCustomersTopic, "chaos-warning-load", [&](int i) {
    cv1::OpportunityStageChanged e;
    e.set_opportunity(absl::StrCat("opportunities/cw-", sfx, "-", i));
    e.set_customer(absl::StrCat("customers/cw-", sfx, "-", i));
    e.set_display_name(absl::StrCat("压测商机 ", i));
    e.set_from_stage(cv1::OPPORTUNITY_STAGE_QUALIFIED);
    e.set_to_stage(cv1::OPPORTUNITY_STAGE_PROPOSAL);
    e.set_owner("members/" + rep);
    e.set_team("orgUnits/" + team);
    e.set_region("orgUnits/" + co);
    e.set_channel("direct");
    e.set_customer_type("enterprise");
    e.mutable_amount()->set_amount_minor(100'000'00 + i);
    e.mutable_amount()->set_currency_code("CNY");
    return MakeCloudEvent("/salesops/customers", absl::StrCat("cw-", sfx, "-", i), e.opportunity(),
                          e, entered + absl::Seconds(i));
  });
  ASSERT_TRUE(stream.Start().ok());
  std::vector<std::unique_ptr<WarningServer>> killed;
  const int at_kill = KillReplicaDuring(stream, a, replica, killed);
  ASSERT_EQ(stream.failed(), 0);
  ASSERT_GT(stream.published(), 200) << "the load did not run";
  const int n = stream.published();

  // Every deal's warning, read until all are there; then, once both replicas have
  // consumed everything and their outbox is empty, what else arrives (a duplicate).
  // rule + " " + subject → the event ids (and warning names) of its WarningRaised records.
  std::map<std::string, std::set<std::string>> raised;
  std::map<std::string, int> records_of;
  std::set<std::string> warned;  // subjects with a stalled-deal warning
  auto absorb = [&](const std::vector<Record>& records) {
    for (const Record& r : records) {
      if (EventType(r) != "salesops.warning.v1.WarningRaised") {
        continue;
      }
      wv1::WarningRaised w;
      if (!w.ParseFromString(r.value) ||
          w.warning().subject().find("cw-" + sfx + "-") == std::string::npos) {
        continue;
      }
      const std::string key = w.warning().rule() + " " + w.warning().subject();
      raised[key].insert(r.headers.at("ce_id") + " " + w.warning().name());
      ++records_of[key];
      warned.insert(w.warning().subject());
    }
  };
  for (const absl::Time deadline = absl::Now() + absl::Seconds(120);
       absl::Now() < deadline && static_cast<int>(warned.size()) < n;) {
    absorb(reader.ReadFor(absl::Seconds(1)));
  }
  const double complete = absl::ToDoubleSeconds(absl::Now() - stream.stopped_at());
  WaitForConsumersCaughtUp(a->metrics_port(), "warning_server a");
  WaitForConsumersCaughtUp(b->metrics_port(), "warning_server b");
  for (int i = 0; i < 300; ++i) {
    auto len = TestRedis().Command({"XLEN", "warn:{warn}:outbox"});
    if (len.ok() && len->integer == 0) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  absorb(reader.ReadFor(absl::Seconds(3)));

  int doubled = 0;
  int redelivered = 0;
  for (const auto& [key, ids] : raised) {
    if (ids.size() != 1) {
      ++doubled;
      ADD_FAILURE() << key << ": " << ids.size()
                    << " different WarningRaised: " << absl::StrJoin(ids, ", ");
    }
    redelivered += records_of[key] - 1;
  }
  std::printf("\n%-18s %16s %18s %15s %20s %12s %11s\n", "fault", "events published",
              "deals with warning", "double-raised", "records redelivered", "at the kill",
              "complete s");
  std::printf("%-18s %16d %18zu %15d %20d %12d %11.1f\n\n", "warning replica", n, warned.size(),
              doubled, redelivered, at_kill, complete);
  EXPECT_EQ(static_cast<int>(warned.size()), n) << "deals without their warning";
}

// Two targets replicas (one deployment: shared consumer groups and leases) while won
// deals stream in for one rep; one is killed with -9 and replaced. Attainment is money:
// the rep's and the team's actual must equal the sum of the deals published — not a fen
// more or less — whichever replica applied each deal, redelivered or not.
TEST(ChaosTest, TargetsReplicaKilledWhileDealsAreWon) {
  const std::string sfx = UniqueSuffix();
  auto id = [&](const std::string& base) { return absl::StrCat("ct-", base, "-", sfx); };
  OrgServer org("org-chaos-tgt-" + sfx);
  org.Start();
  CreateSalesOrg(org, id);

  const std::vector<std::string> shared = {"--lease_namespace=targets-chaos-" + sfx,
                                           "--targets_attainment_group=targets-att-chaos-" + sfx,
                                           "--targets_directory_group=targets-dir-chaos-" + sfx,
                                           "--targets_org_changes_group=targets-org-chaos-" + sfx};
  auto replica = [&] { return std::make_unique<TargetsServer>(shared); };
  auto a = replica();
  auto b = replica();
  a->Start();
  b->Start();
  DirectoryBarrier known("tgt:{tgt}:");  // the service's own directory
  known.Unit(id("co"), "");
  known.Unit(id("east"), id("co"));
  known.Unit(id("team"), id("east"));
  known.Unit(id("pl"), id("co"));
  known.Member(id("rep"), id("team"));
  ASSERT_TRUE(known.Wait());

  // This quarter's plan, all of it on the one rep, published.
  const std::string plan = PublishQuarterPlanOnOneRep(*b, id("q"), id("plan"), id("co"), id("pl"),
                                                      id("team"), id("rep"));
  const std::string admin = Token(Role::kAdmin, "chaos", "");
  auto call = [&](auto fn, const auto& req, auto* resp) {
    grpc::ClientContext ctx;
    Authorize(ctx, admin);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return (b->stub().*fn)(&ctx, req, resp);
  };

  // Won deals as the customers service publishes them.
  std::atomic<int64_t> sum{0};
  EventStream stream(
      kCustomersTopic, "chaos-targets-load",
      [&](int i) { return WonDeal(id("d"), i, id("rep"), id("team"), id("east"), id("pl")); },
      [&](int i) { sum += WonAmount(i); });
  ASSERT_TRUE(stream.Start().ok());
  std::vector<std::unique_ptr<TargetsServer>> killed;
  const int at_kill = KillReplicaDuring(stream, a, replica, killed);
  ASSERT_EQ(stream.failed(), 0);
  ASSERT_GT(stream.published(), 200) << "the load did not run";

  // Barrier: the rep's actual reaches the sum; then, with both replicas caught up, it
  // must not have gone past it (a double-applied deal would).
  auto actual = [&](const std::string& subject) -> int64_t {
    tv1::GetAttainmentRequest get;
    get.set_plan(plan);
    get.set_subject(subject);
    tv1::GetAttainmentResponse att;
    grpc::Status st = call(&tv1::TargetsService::Stub::GetAttainment, get, &att);
    return st.ok() ? att.attainment().actual().amount_minor() : -1;
  };
  for (const absl::Time deadline = absl::Now() + absl::Seconds(120);
       absl::Now() < deadline && actual("members/" + id("rep")) < sum.load();) {
    absl::SleepFor(absl::Milliseconds(200));  // polling the service's own figure: the barrier
  }
  const double complete = absl::ToDoubleSeconds(absl::Now() - stream.stopped_at());
  WaitForConsumersCaughtUp(a->metrics_port(), "targets_server a");
  WaitForConsumersCaughtUp(b->metrics_port(), "targets_server b");
  const int64_t rep = actual("members/" + id("rep"));
  const int64_t team = actual("orgUnits/" + id("team"));
  std::printf("\n%-17s %10s %16s %16s %16s %12s %11s\n", "fault", "deals won", "sum (fen)",
              "rep actual", "team actual", "at the kill", "complete s");
  std::printf("%-17s %10d %16lld %16lld %16lld %12d %11.1f\n\n", "targets replica",
              stream.published(), static_cast<long long>(sum.load()), static_cast<long long>(rep),
              static_cast<long long>(team), at_kill, complete);
  EXPECT_EQ(rep, sum.load()) << "the rep's attainment is not the sum of the deals won";
  EXPECT_EQ(team, sum.load()) << "the team's attainment is not the sum of the deals won";
}

// Two performance replicas while won deals stream in for one rep; one is killed with
// -9 and replaced. Commission is pay: the rep's statement must credit exactly the sum of
// the deals won and carry every one of them, whichever replica credited it, redelivered
// or not.
TEST(ChaosTest, PerformanceReplicaKilledWhileDealsAreWon) {
  const std::string sfx = UniqueSuffix();
  auto id = [&](const std::string& base) { return absl::StrCat("cp-", base, "-", sfx); };
  OrgServer org("org-chaos-perf-" + sfx);
  org.Start();
  CreateSalesOrg(org, id);

  const std::vector<std::string> shared = {
      "--lease_namespace=performance-chaos-" + sfx,
      "--performance_credit_group=performance-credit-chaos-" + sfx,
      "--performance_directory_group=performance-dir-chaos-" + sfx};
  auto replica = [&] { return std::make_unique<PerformanceServer>(shared); };
  auto a = replica();
  auto b = replica();
  a->Start();
  b->Start();
  DirectoryBarrier known("perf:{perf}:");  // the service's own directory
  known.Unit(id("team"), id("east"));
  known.Member(id("rep"), id("team"));
  ASSERT_TRUE(known.Wait());

  // The rep's commission plan: 2 % up to the ¥100,000 quarter target, 3 % above.
  const std::string admin = Token(Role::kAdmin, "chaos", "");
  auto call = [&](auto fn, const auto& req, auto* resp) {
    grpc::ClientContext ctx;
    Authorize(ctx, admin);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return (b->stub().*fn)(&ctx, req, resp);
  };
  pv1::CreateCommissionPlanRequest cp;
  cp.set_commission_plan_id(id("plan"));
  pv1::CommissionPlan* p = cp.mutable_commission_plan();
  p->set_display_name("压测提成方案");
  p->mutable_effective_start_date()->set_year(2020);
  p->mutable_effective_start_date()->set_month(1);
  p->mutable_effective_start_date()->set_day(1);
  p->add_members("members/" + id("rep"));
  p->set_basis(pv1::COMMISSION_BASIS_BOOKING);
  p->set_tier_mode(pv1::TIER_MODE_MARGINAL);
  pv1::CommissionBand* low = p->add_bands();
  low->set_max_attainment_basis_points(10'000);
  low->set_rate_millionths(20'000);
  pv1::CommissionBand* high = p->add_bands();
  high->set_min_attainment_basis_points(10'000);
  high->set_rate_millionths(30'000);
  p->mutable_default_target()->set_amount_minor(100'000'00);
  p->mutable_default_target()->set_currency_code("CNY");
  pv1::CreateCommissionPlanResponse created;
  grpc::Status s = call(&pv1::PerformanceService::Stub::CreateCommissionPlan, cp, &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  pv1::ActivateCommissionPlanRequest act;
  act.set_name("commissionPlans/" + id("plan"));
  pv1::ActivateCommissionPlanResponse activated;
  s = call(&pv1::PerformanceService::Stub::ActivateCommissionPlan, act, &activated);
  ASSERT_TRUE(s.ok()) << s.error_message();

  std::atomic<int64_t> sum{0};
  EventStream stream(
      kCustomersTopic, "chaos-performance-load",
      [&](int i) { return WonDeal(id("d"), i, id("rep"), id("team"), id("east"), id("pl")); },
      [&](int i) { sum += WonAmount(i); });
  ASSERT_TRUE(stream.Start().ok());
  std::vector<std::unique_ptr<PerformanceServer>> killed;
  const int at_kill = KillReplicaDuring(stream, a, replica, killed);
  ASSERT_EQ(stream.failed(), 0);
  ASSERT_GT(stream.published(), 200) << "the load did not run";
  const int n = stream.published();

  // This quarter's statement of the rep (the service's fiscal year starts in January).
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), China());
  pv1::GetCommissionStatementRequest get;
  get.set_member("members/" + id("rep"));
  get.set_period(absl::StrFormat("fiscalPeriods/FY%04d-Q%d", static_cast<int>(today.year()),
                                 (today.month() - 1) / 3 + 1));
  pv1::CommissionStatement st;
  auto deals_on = [&] {  // the deals (event ids) the statement's lines name
    std::set<std::string> ids;
    for (const pv1::StatementLine& l : st.lines()) {
      if (!l.event_id().empty()) {
        ids.insert(l.event_id());
      }
    }
    return ids;
  };
  auto read = [&] {
    pv1::GetCommissionStatementResponse resp;
    if (!call(&pv1::PerformanceService::Stub::GetCommissionStatement, get, &resp).ok()) {
      return false;
    }
    st = resp.commission_statement();
    return true;
  };
  Until([&] { return read() && st.credited_revenue().amount_minor() >= sum.load(); });
  const double complete = absl::ToDoubleSeconds(absl::Now() - stream.stopped_at());
  WaitForConsumersCaughtUp(a->metrics_port(), "performance_server a");
  WaitForConsumersCaughtUp(b->metrics_port(), "performance_server b");
  // The statement is recomputed every 100 ms: read it once its lines name every deal.
  Until([&] { return read() && static_cast<int>(deals_on().size()) >= n; }, absl::Seconds(30));
  const int64_t credited = st.credited_revenue().amount_minor();
  const size_t on_statement = deals_on().size();
  std::printf("\n%-20s %10s %16s %16s %14s %16s %12s %11s\n", "fault", "deals won", "sum (fen)",
              "credited (fen)", "deals on it", "commission (fen)", "at the kill", "complete s");
  std::printf("%-20s %10d %16lld %16lld %14zu %16lld %12d %11.1f\n\n", "performance replica", n,
              static_cast<long long>(sum.load()), static_cast<long long>(credited), on_statement,
              static_cast<long long>(st.gross().amount_minor()), at_kill, complete);
  EXPECT_EQ(credited, sum.load()) << "the statement does not credit exactly the deals won";
  EXPECT_EQ(static_cast<int>(on_statement), n) << "deals missing from the statement";
}

// Two forecast replicas while won deals stream in for one rep (this quarter has a
// published plan); one is killed with -9 and replaced. The team's and the rep's
// closed-to-date must equal the deals won, each counted once.
TEST(ChaosTest, ForecastReplicaKilledWhileDealsAreWon) {
  const std::string sfx = UniqueSuffix();
  auto id = [&](const std::string& base) { return absl::StrCat("cf-", base, "-", sfx); };
  OrgServer org("org-chaos-fcst-" + sfx);
  org.Start();
  CreateSalesOrg(org, id);
  TargetsServer targets;
  targets.Start();
  DirectoryBarrier targets_know("tgt:{tgt}:");
  targets_know.Unit(id("co"), "");
  targets_know.Unit(id("east"), id("co"));
  targets_know.Unit(id("team"), id("east"));
  targets_know.Unit(id("pl"), id("co"));
  targets_know.Member(id("rep"), id("team"));
  ASSERT_TRUE(targets_know.Wait());

  const std::vector<std::string> shared = {"--lease_namespace=forecast-chaos-" + sfx,
                                           "--forecast_engine_group=forecast-engine-chaos-" + sfx,
                                           "--forecast_directory_group=forecast-dir-chaos-" + sfx};
  auto replica = [&] { return std::make_unique<ForecastServer>(shared); };
  auto a = replica();
  auto b = replica();
  a->Start();
  b->Start();
  DirectoryBarrier known("fcst:{fcst}:");
  known.Unit(id("team"), id("east"));
  known.Member(id("rep"), id("team"));
  ASSERT_TRUE(known.Wait());
  PublishQuarterPlanOnOneRep(targets, id("q"), id("plan"), id("co"), id("pl"), id("team"),
                             id("rep"));

  const std::string admin = Token(Role::kAdmin, "chaos", "");
  auto closed = [&](fv1::ForecastScope scope) -> int64_t {
    grpc::ClientContext ctx;
    Authorize(ctx, admin);
    fv1::GetForecastRequest req;
    *req.mutable_scope() = std::move(scope);
    req.set_period("fiscalPeriods/" + id("q"));
    req.set_category(fv1::FORECAST_CATEGORY_PIPELINE);
    fv1::GetForecastResponse resp;
    return b->stub().GetForecast(&ctx, req, &resp).ok()
               ? resp.forecast().closed_to_date().amount_minor()
               : -1;
  };
  fv1::ForecastScope team_scope, rep_scope;
  team_scope.set_org_unit("orgUnits/" + id("team"));
  rep_scope.set_member("members/" + id("rep"));
  // The forecast knows the quarter before the first deal: both replicas have read the
  // targets topic up to the plan's publication.
  WaitForConsumersCaughtUp(a->metrics_port(), "forecast_server a");
  WaitForConsumersCaughtUp(b->metrics_port(), "forecast_server b");

  std::atomic<int64_t> sum{0};
  EventStream stream(
      kCustomersTopic, "chaos-forecast-load",
      [&](int i) { return WonDeal(id("d"), i, id("rep"), id("team"), id("east"), id("pl")); },
      [&](int i) { sum += WonAmount(i); });
  ASSERT_TRUE(stream.Start().ok());
  std::vector<std::unique_ptr<ForecastServer>> killed;
  const int at_kill = KillReplicaDuring(stream, a, replica, killed);
  ASSERT_EQ(stream.failed(), 0);
  ASSERT_GT(stream.published(), 200) << "the load did not run";

  Until([&] { return closed(team_scope) >= sum.load(); });
  const double complete = absl::ToDoubleSeconds(absl::Now() - stream.stopped_at());
  WaitForConsumersCaughtUp(a->metrics_port(), "forecast_server a");
  WaitForConsumersCaughtUp(b->metrics_port(), "forecast_server b");
  const int64_t team = closed(team_scope);
  const int64_t rep = closed(rep_scope);
  std::printf("\n%-18s %10s %16s %18s %18s %12s %11s\n", "fault", "deals won", "sum (fen)",
              "team closed (fen)", "rep closed (fen)", "at the kill", "complete s");
  std::printf("%-18s %10d %16lld %18lld %18lld %12d %11.1f\n\n", "forecast replica",
              stream.published(), static_cast<long long>(sum.load()), static_cast<long long>(team),
              static_cast<long long>(rep), at_kill, complete);
  EXPECT_EQ(team, sum.load()) << "the team's closed-to-date is not the deals won";
  EXPECT_EQ(rep, sum.load()) << "the rep's closed-to-date is not the deals won";
}

// Two sync replicas while stalled-deal warnings stream in for a team whose group robot
// is routed them (each answer 40 ms late); one is killed with -9, most likely in the
// middle of a POST, and replaced. A group must never get a warning twice, and no
// warning may vanish: each one reaches the robot, or shows as an IN_DOUBT delivery
// for an admin to decide (the POST the kill interrupted: the group may have it).
TEST(ChaosTest, SyncReplicaKilledWhileWarningsAreRouted) {
  const std::string sfx = UniqueSuffix();
  auto id = [&](const std::string& base) { return absl::StrCat("cs-", base, "-", sfx); };
  SystemClock wall;
  salesops::sync::FakeGroupRobot robot(wall);
  robot.AddWeCom("team", "k-" + sfx);
  // Each answer 40 ms late, as a slow platform: the replicas always have a POST in
  // flight, so the kill interrupts one (a message the group got, whose answer never came).
  robot.Script("team", std::vector<salesops::sync::RobotAnswer>(
                           20'000, salesops::sync::RobotAnswer::Late(absl::Milliseconds(40))));
  ASSERT_TRUE(robot.Start().ok());
  const std::string routes = absl::StrCat(TestEnv::Get().tmp, "/chaos-routes-", sfx, ".json");
  {
    std::ofstream out(routes);
    out << R"({"routes": [{"id": "team-wecom", "org_unit": ")" << id("team")
        << R"(", "platform": "wecom", "url": ")" << robot.UrlOf("team")
        << R"(", "events": ["warning_raised"]}]})";
  }
  OrgServer org("org-chaos-sync-" + sfx);
  org.Start();
  CreateOrgUnit(org, id("co"), v1::ORG_UNIT_KIND_COMPANY, "");
  CreateOrgUnit(org, id("team"), v1::ORG_UNIT_KIND_TEAM, id("co"));
  CreateMember(org, id("sup"), v1::ROLE_SUPERVISOR, id("team"));

  // Short webhook time-out and lease, so the interrupted POST turns in doubt in seconds.
  // No posts-a-minute limit: every warning its own POST, so that the kill's
  // interrupted POST is one warning, and a title names the warning it carries
  // (digests are the dispatcher test's).
  const std::vector<std::string> flags = {"--sync_webhook_timeout=1s", "--sync_notify_lease=6s",
                                          "--sync_notify_posts_per_minute=0",
                                          "--lease_namespace=sync-chaos-" + sfx};
  auto replica = [&] {  // the same routes and consumer groups for every replica
    return std::make_unique<SyncServer>(routes, flags, sfx);
  };
  auto a = replica();
  auto b = replica();
  a->Start();
  b->Start();
  DirectoryBarrier known("sync:{sync}:");
  known.Unit(id("team"), id("co"));
  known.Member(id("sup"), id("team"));
  ASSERT_TRUE(known.Wait());

  // Warning i's subject reads "【cs-…-i】": a title names exactly one warning.
  auto subject = [&](int i) { return absl::StrCat("【", id("w"), "-", i, "】"); };
  EventStream stream(kWarningTopic, "chaos-sync-load", [&](int i) {
    wv1::WarningRaised e;
    wv1::Warning* w = e.mutable_warning();
    w->set_name(absl::StrCat("warnings/", id("w"), "-", i));
    w->set_org_unit("orgUnits/" + id("team"));
    w->set_subject_display_name(subject(i));
    w->set_rule("warningRules/stalled-deal");
    w->set_severity(wv1::SEVERITY_WARNING);
    return MakeCloudEvent("/salesops/warning", absl::StrCat(id("w"), "-", i), w->name(), e,
                          absl::Now());
  });
  ASSERT_TRUE(stream.Start().ok());
  std::vector<std::unique_ptr<SyncServer>> killed;
  const int at_kill = KillReplicaDuring(stream, a, replica, killed);
  ASSERT_EQ(stream.failed(), 0);
  ASSERT_GT(stream.published(), 200) << "the load did not run";
  const int n = stream.published();

  // The warning a title names: i of "【cs-w-…-i】", or -1.
  const std::string mark = "【" + id("w") + "-";
  auto warning_of = [&](const std::string& title) {
    const size_t at = title.find(mark);
    const size_t to = at == std::string::npos ? at : title.find("】", at + mark.size());
    int i = -1;
    if (to == std::string::npos ||
        !absl::SimpleAtoi(title.substr(at + mark.size(), to - at - mark.size()), &i)) {
      return -1;
    }
    return i;
  };
  auto received = [&] {  // what the group got: warning → times
    std::map<int, int> got;
    for (const auto& m : robot.MessagesOf("team")) {
      if (const int i = warning_of(m.title); i >= 0) {
        ++got[i];
      }
    }
    return got;
  };
  const std::string admin = Token(Role::kAdmin, "chaos", "");
  auto deliveries_in = [&](sv1::DeliveryState state) {  // the warnings with a delivery in `state`
    std::set<int> out;
    sv1::ListDeliveriesRequest req;
    req.set_route("notificationRoutes/team-wecom");
    req.set_state(state);
    req.set_page_size(100);
    do {
      grpc::ClientContext ctx;
      Authorize(ctx, admin);
      sv1::ListDeliveriesResponse resp;
      if (!b->stub().ListDeliveries(&ctx, req, &resp).ok()) {
        break;
      }
      for (const auto& d : resp.deliveries()) {
        if (const int i = warning_of(d.title()); i >= 0) {
          out.insert(i);
        }
      }
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty());
    return out;
  };
  // Barrier: both replicas have read every warning; then none of their deliveries is
  // still pending or in flight (an interrupted one turns IN_DOUBT once its 6 s lease
  // runs out, and must then stay unsent).
  WaitForConsumersCaughtUp(a->metrics_port(), "sync_server a");
  WaitForConsumersCaughtUp(b->metrics_port(), "sync_server b");
  Until([&] {
    return deliveries_in(sv1::DELIVERY_STATE_PENDING).empty() &&
           deliveries_in(sv1::DELIVERY_STATE_SENDING).empty();
  });
  const double complete = absl::ToDoubleSeconds(absl::Now() - stream.stopped_at());
  const std::map<int, int> got = received();
  const std::set<int> doubt = deliveries_in(sv1::DELIVERY_STATE_IN_DOUBT);
  const size_t sent = deliveries_in(sv1::DELIVERY_STATE_SENT).size();
  int twice = 0, lost = 0;
  for (int i = 0; i < n; ++i) {
    auto it = got.find(i);
    if (it != got.end() && it->second > 1) {
      ++twice;
      ADD_FAILURE() << subject(i) << " reached the group " << it->second << " times";
    }
    if (it == got.end() && doubt.count(i) == 0) {
      ++lost;
      ADD_FAILURE() << subject(i) << " neither reached the group nor is in doubt";
    }
  }
  std::printf("\n%-14s %10s %10s %10s %10s %10s %6s %12s %11s\n", "fault", "warnings", "group got",
              "sent", "in doubt", "got twice", "lost", "at the kill", "complete s");
  std::printf("%-14s %10d %10zu %10zu %10zu %10d %6d %12d %11.1f\n\n", "sync replica", n,
              got.size(), sent, doubt.size(), twice, lost, at_kill, complete);
  EXPECT_TRUE(robot.rejected().empty());
  EXPECT_LE(doubt.size(), 1u) << "more in doubt than the one POST a kill can interrupt";
  EXPECT_EQ(sent + doubt.size(), static_cast<size_t>(n)) << "a warning without its delivery";
  robot.Stop();
  std::remove(routes.c_str());
}

}  // namespace
}  // namespace salesops::testing
