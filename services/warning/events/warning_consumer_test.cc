// WarningConsumer's waves (HandleBatch: one event per key per wave, reads and commits
// pipelined) against the same events applied one by one (Handle) in the same order, each
// on its own in-memory store (the same WarningStore code as in production, the shipped rules, the
// org chart through the real directory projection): the subjects, the active warnings
// and the warning events must come out the same. The batch mixes what a wave has to get
// right: several events of one key (order), a redelivered event (once), a poison record
// (the key's later events wait), rep and team period subjects whose pipeline the deals
// move (evaluated with the wave's earlier deltas), an attainment event and deals of its
// rep in one wave, and deals that stall, then close.
#include "services/warning/events/warning_consumer.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "common/directory/org_directory.h"
#include "common/directory/testing/directory_seed.h"
#include "common/docstore/in_memory_kv.h"
#include "common/events/cloud_event.h"
#include "common/projection/projection_store.h"
#include "common/testing/api_test_support.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/targets/v1/targets_events.pb.h"
#include "salesops/warning/v1/warning_events.pb.h"
#include "services/warning/domain/rules.h"
#include "services/warning/domain/subjects.h"
#include "services/warning/jobs/scheduler.h"
#include "services/warning/store/in_memory_warning_store.h"
#include "services/warning/store/rule_set.h"
#include "services/warning/store/warning_store.h"

namespace salesops::warning {
namespace {

namespace ov1 = ::salesops::org::v1;
namespace cv1 = ::salesops::customers::v1;
namespace tv1 = ::salesops::targets::v1;
using ::salesops::test_support::BusinessZone;

constexpr char kPeriod[] = "fiscalPeriods/FY2026-Q1";

// One engine on its own in-memory store, wired as main.cc wires it.
struct World {
  explicit World(const Clock& c) : clock(c) {
    seed.Unit("acme", "", ov1::ORG_UNIT_KIND_COMPANY);
    seed.Unit("east", "acme", ov1::ORG_UNIT_KIND_REGION);
    seed.Unit("t-hz", "east", ov1::ORG_UNIT_KIND_TEAM);
    seed.Unit("t-sh", "east", ov1::ORG_UNIT_KIND_TEAM);
    seed.Member("sup-1", "t-hz", ov1::ROLE_SUPERVISOR);
    seed.Member("sup-2", "t-sh", ov1::ROLE_SUPERVISOR);
    for (int r = 1; r <= 4; ++r) {
      seed.Member(absl::StrCat("rep-", r), r <= 2 ? "t-hz" : "t-sh", ov1::ROLE_REP);
    }
    absl::StatusOr<RuleList> shipped = DefaultRules();
    EXPECT_TRUE(shipped.ok()) << shipped.status();
    EXPECT_TRUE(rules.Seed(*shipped, clock.Now()).ok());
  }
  static EngineOptions Options(const World* w) {
    EngineOptions o;
    o.tz = BusinessZone();
    o.behind = [w] { return w->behind; };
    o.wall_clock = &w->wall;
    return o;
  }

  // Every subject's state, version and active warnings (rule, severity, supervisor,
  // rep, unit: not the generated ids), by subject key. A period subject's version
  // counts the events that moved its pipeline since it was created, so it depends on
  // the order of events of different keys: `versions` = false leaves it out.
  std::map<std::string, std::string> Snapshot(const std::vector<std::string>& keys,
                                              bool versions = true) {
    std::map<std::string, std::string> out;
    for (const std::string& key : keys) {
      auto subject = store.GetSubject(key);
      EXPECT_TRUE(subject.ok()) << subject.status();
      std::string text;
      if (subject.ok() && *subject) {
        text = absl::StrCat(versions ? absl::StrCat("v", (*subject)->version, " ") : "",
                            (*subject)->doc.ShortDebugString());
      }
      auto active = store.ActiveWarnings(key);
      EXPECT_TRUE(active.ok()) << active.status();
      std::vector<std::string> warnings;
      for (const auto& w : active.ok() ? *active : std::vector<Versioned<v1::Warning>>{}) {
        warnings.push_back(absl::StrCat(w.doc.rule(), "|", w.doc.severity(), "|",
                                        w.doc.responsible_supervisor(), "|", w.doc.rep(), "|",
                                        w.doc.org_unit(), "|", w.doc.state()));
      }
      std::sort(warnings.begin(), warnings.end());
      for (const std::string& w : warnings) {
        absl::StrAppend(&text, " [", w, "]");
      }
      out[key] = text;
    }
    return out;
  }
  // The engine's events by type, and the pipeline figures of the reps and teams.
  std::map<std::string, int> EventCounts() const {
    std::map<std::string, int> out;
    for (const auto& [e, topic] : kv.Events()) {
      ++out[e.type];
    }
    return out;
  }
  // Each WarningRaised / WarningResolved as "type rule subject ← cause event id",
  // sorted: which event raised or resolved what.
  std::vector<std::string> WarningLog() const {
    std::vector<std::string> out;
    for (const auto& [e, topic] : kv.Events()) {
      v1::WarningRaised raised;
      v1::WarningResolved resolved;
      if (e.type == "salesops.warning.v1.WarningRaised" && raised.ParseFromString(e.data)) {
        out.push_back(absl::StrCat("raised ", raised.warning().rule(), " ",
                                   raised.warning().subject(), " <- ", raised.cause_event_id()));
      } else if (e.type == "salesops.warning.v1.WarningResolved" &&
                 resolved.ParseFromString(e.data)) {
        out.push_back(absl::StrCat("resolved ", resolved.warning().rule(), " ",
                                   resolved.warning().subject(), " <- ",
                                   resolved.cause_event_id()));
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // How many WarningLog lines start with `prefix`.
  int Logged(absl::string_view prefix) const {
    std::vector<std::string> log = WarningLog();
    return static_cast<int>(std::count_if(
        log.begin(), log.end(), [&](const std::string& l) { return absl::StartsWith(l, prefix); }));
  }
  std::map<std::string, int64_t> Pipelines() {
    std::map<std::string, int64_t> out;
    for (const std::string who : {"members/rep-1", "members/rep-2", "members/rep-3",
                                  "members/rep-4", "orgUnits/t-hz", "orgUnits/t-sh"}) {
      auto p = store.Pipeline(who);
      EXPECT_TRUE(p.ok()) << p.status();
      out[who] = p.ok() ? *p : -1;
    }
    return out;
  }

  const Clock& clock;
  InMemoryWarningStore store;
  InMemoryKv& kv = store.memory();
  org::testing::DirectorySeed seed{kv, kKeyPrefix};
  org::OrgDirectory directory{kv, kKeyPrefix};
  RuleSet rules{store, absl::Seconds(2)};
  // Whether the engine's consumer is behind (main.cc: its lag), and the wall
  // clock a replica's word that it is behind counts by.
  bool behind = false;
  FakeClock wall{absl::FromUnixSeconds(1'800'000'000)};
  WarningEngine engine{store, directory, rules, Options(this)};
  ProjectionStore seen{kv, WarnKey("eng:seen:")};
  WarningConsumer consumer{seen, store, engine, clock};
  WarningScheduler scheduler{store, engine, clock};
};

// Commits to `kv`, running `before_first` (once) just before the first commit: what
// another replica committing between this one's reads and its commit looks like.
class InterleavingCommitter final : public BatchCommitter {
 public:
  explicit InterleavingCommitter(InMemoryKv& kv) : kv_(kv) {}
  std::function<void()> before_first;

  absl::StatusOr<CommitResult> Commit(const WriteBatch& batch) override {
    RunHook();
    return kv_.Commit(batch);
  }
  std::vector<absl::StatusOr<CommitResult>> CommitMany(
      const std::vector<WriteBatch>& batches) override {
    RunHook();
    return kv_.CommitMany(batches);
  }

 private:
  void RunHook() {
    if (before_first) {
      std::function<void()> hook = std::move(before_first);
      before_first = nullptr;
      hook();
    }
  }
  InMemoryKv& kv_;
};

class WarningConsumerWavesTest : public ::testing::Test {
 protected:
  // A deal of `rep` (customer `customer`: the Kafka key) moving from qualified to
  // proposal `days_ago` days ago.
  CloudEvent ToProposal(int deal, const std::string& customer, int rep, int days_ago,
                        const std::string& team = "") {
    cv1::OpportunityStageChanged e;
    e.set_opportunity(absl::StrCat("opportunities/o-", deal));
    e.set_customer("customers/" + customer);
    e.set_display_name(absl::StrCat("商机 ", deal));
    e.set_from_stage(cv1::OPPORTUNITY_STAGE_QUALIFIED);
    e.set_to_stage(cv1::OPPORTUNITY_STAGE_PROPOSAL);
    e.set_owner(absl::StrCat("members/rep-", rep));
    e.set_team(!team.empty() ? team : rep <= 2 ? "orgUnits/t-hz" : "orgUnits/t-sh");
    e.set_region("orgUnits/east");
    e.set_channel("direct");
    e.set_customer_type("enterprise");
    e.mutable_amount()->set_amount_minor(100'000'00 + deal);
    e.mutable_amount()->set_currency_code("CNY");
    return MakeCloudEvent("/salesops/customers", customer, e.opportunity(), e,
                          clock_.Now() - absl::Hours(24 * days_ago) + absl::Seconds(deal));
  }
  CloudEvent Won(int deal, const std::string& customer, int rep) {
    cv1::OpportunityWon e;
    e.set_opportunity(absl::StrCat("opportunities/o-", deal));
    e.set_customer("customers/" + customer);
    e.set_from_stage(cv1::OPPORTUNITY_STAGE_PROPOSAL);
    e.set_owner(absl::StrCat("members/rep-", rep));
    e.set_team(rep <= 2 ? "orgUnits/t-hz" : "orgUnits/t-sh");
    e.mutable_amount()->set_amount_minor(100'000'00 + deal);
    e.mutable_amount()->set_currency_code("CNY");
    return MakeCloudEvent("/salesops/customers", customer, e.opportunity(), e,
                          clock_.Now() - absl::Minutes(30) + absl::Seconds(deal));
  }
  // The rep's (or team's) attainment this quarter: ¥83,000 to go, so the weighted
  // pipeline covers the rest 3× (the shipped coverage rule) from the fifth of its
  // proposals (¥50,000 weighted each) on: the coverage warning the attainment raises
  // is resolved by a deal in the middle of a wave.
  CloudEvent Attainment(const std::string& plan_key, int rep) {
    tv1::AttainmentUpdated e;
    e.set_plan("plans/p-1");
    e.set_period(kPeriod);
    e.set_level(rep > 0 ? tv1::ATTAINMENT_LEVEL_REP : tv1::ATTAINMENT_LEVEL_TEAM);
    e.set_subject(rep > 0 ? absl::StrCat("members/rep-", rep) : "orgUnits/t-hz");
    if (rep > 0) {
      e.set_rep(absl::StrCat("members/rep-", rep));
    }
    e.set_team(rep <= 2 ? "orgUnits/t-hz" : "orgUnits/t-sh");
    e.mutable_target()->set_amount_minor(183'000'00);
    e.mutable_target()->set_currency_code("CNY");
    e.mutable_actual()->set_amount_minor(100'000'00);
    e.mutable_actual()->set_currency_code("CNY");
    e.mutable_period_start_date()->set_year(2026);
    e.mutable_period_start_date()->set_month(1);
    e.mutable_period_start_date()->set_day(1);
    e.mutable_period_end_date()->set_year(2026);
    e.mutable_period_end_date()->set_month(3);
    e.mutable_period_end_date()->set_day(31);
    e.set_attainment_basis_points(100);
    return MakeCloudEvent("/salesops/targets", plan_key, e.subject(), e,
                          clock_.Now() - absl::Hours(1) + absl::Seconds(rep));
  }

  // Monday 2026-03-02 10:00 in the business zone.
  FakeClock clock_{absl::FromCivil(absl::CivilSecond(2026, 3, 2, 10, 0, 0), BusinessZone())};
};

TEST_F(WarningConsumerWavesTest, WavesEndWhereOneByOneEnds) {
  // Period subjects first (their own batch, as the targets topic may deliver them),
  // then a batch of deals with another attainment event among them.
  std::vector<CloudEvent> before = {Attainment("plan-a", 1), Attainment("plan-b", 3),
                                    Attainment("plan-c", 0)};
  std::vector<CloudEvent> batch;
  std::vector<std::string> keys = {
      SubjectKey("members/rep-1", kPeriod), SubjectKey("members/rep-3", kPeriod),
      SubjectKey("orgUnits/t-hz", kPeriod), SubjectKey("members/rep-2", kPeriod)};
  for (int deal = 0; deal < 40; ++deal) {
    // Two deals per customer (one Kafka key: their events in order across waves);
    // every other customer's deals stalled for 40 days, the rest moved yesterday.
    const std::string customer = absl::StrCat("c-", deal / 2);
    const int rep = 1 + deal % 4;
    batch.push_back(ToProposal(deal, customer, rep, (deal / 2) % 2 == 0 ? 40 : 1));
    keys.push_back(SubjectKey(absl::StrCat("opportunities/o-", deal), ""));
    if (deal == 10) {
      batch.push_back(Attainment("plan-d", 2));  // rep-2's period, amid rep-2's deals
    }
  }
  batch.push_back(batch[3]);  // redelivered in the same batch
  CloudEvent poison = ToProposal(99, "c-3", 4, 40);
  poison.data = "not protobuf";
  batch.push_back(poison);
  for (int deal : {0, 1, 5, 8, 13}) {  // some stalled, some not: then won
    batch.push_back(Won(deal, absl::StrCat("c-", deal / 2), 1 + deal % 4));
  }
  batch.push_back(batch[6]);  // redelivered after later events of its key

  World waves(clock_), alone(clock_);
  for (const CloudEvent& e : before) {
    ASSERT_TRUE(waves.consumer.Handle(e).ok());
    ASSERT_TRUE(alone.consumer.Handle(e).ok());
  }
  std::vector<const CloudEvent*> ptrs;
  for (const CloudEvent& e : batch) {
    ptrs.push_back(&e);
  }
  // As the Kafka consumer does: a record that failed in the batch is tried again on
  // its own, in order (the poison one fails again and is dead-lettered).
  std::vector<absl::Status> first = waves.consumer.HandleBatch(ptrs);
  ASSERT_EQ(first.size(), batch.size());
  int failed_in_batch = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!first[i].ok()) {
      ++failed_in_batch;
      const absl::Status again = waves.consumer.Handle(batch[i]);
      EXPECT_EQ(again.ok(), batch[i].data != poison.data) << i << ": " << again;
    }
  }
  // The poison record, and c-3's events after it (they wait for it).
  EXPECT_GE(failed_in_batch, 1);
  // Most of the batch went through the waves' pipelined commits.
  const WarningConsumerStats& stats = waves.consumer.stats();
  std::printf(
      "waves %lld, events in waves %lld, alone %lld\n", static_cast<long long>(stats.waves.load()),
      static_cast<long long>(stats.in_waves.load()), static_cast<long long>(stats.alone.load()));
  EXPECT_GE(stats.in_waves.load(), 40);
  // One by one in the order the waves take them (order is kept per key only, as
  // Kafka keeps it: the waves apply every key's first event, then every key's
  // second, ...), and in batch order: the final state may not depend on it.
  std::vector<std::string> key_order;
  std::map<std::string, std::vector<const CloudEvent*>> of_key;
  for (const CloudEvent& e : batch) {
    if (of_key[e.key].empty()) {
      key_order.push_back(e.key);
    }
    of_key[e.key].push_back(&e);
  }
  std::vector<const CloudEvent*> wave_order;
  for (size_t step = 0; wave_order.size() < batch.size(); ++step) {
    for (const std::string& key : key_order) {
      if (step < of_key[key].size()) {
        wave_order.push_back(of_key[key][step]);
      }
    }
  }
  for (const CloudEvent* e : wave_order) {
    const absl::Status s = alone.consumer.Handle(*e);
    EXPECT_EQ(s.ok(), e->data != poison.data) << e->id << ": " << s;
  }
  World in_batch_order(clock_);
  for (const CloudEvent& e : before) {
    ASSERT_TRUE(in_batch_order.consumer.Handle(e).ok());
  }
  for (const CloudEvent& e : batch) {
    (void)in_batch_order.consumer.Handle(e);
  }
  EXPECT_EQ(waves.Snapshot(keys, /*versions=*/false), in_batch_order.Snapshot(keys, false));
  EXPECT_EQ(waves.Pipelines(), in_batch_order.Pipelines());

  EXPECT_EQ(waves.Snapshot(keys), alone.Snapshot(keys));
  EXPECT_EQ(waves.EventCounts(), alone.EventCounts());
  {
    const std::vector<std::string> a = waves.WarningLog(), b = alone.WarningLog();
    std::vector<std::string> only_waves, only_alone;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only_waves));
    std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(only_alone));
    EXPECT_TRUE(only_waves.empty() && only_alone.empty())
        << "waves only:\n  " << absl::StrJoin(only_waves, "\n  ") << "\none by one only:\n  "
        << absl::StrJoin(only_alone, "\n  ");
  }
  EXPECT_EQ(waves.Pipelines(), alone.Pipelines());
  // The coverage warnings the attainment events raised were resolved by a deal.
  int coverage_resolved = 0;
  for (const std::string& line : waves.WarningLog()) {
    coverage_resolved += absl::StartsWith(line, "resolved rules/pipeline-coverage-low") ? 1 : 0;
  }
  EXPECT_GE(coverage_resolved, 3) << absl::StrJoin(waves.WarningLog(), "\n");
  // And what both should say: each stalled deal not won has its warning, once.
  const std::map<std::string, int> events = waves.EventCounts();
  EXPECT_GT(events.count("salesops.warning.v1.WarningRaised"), 0u);
  for (int deal = 0; deal < 40; ++deal) {
    const bool stalled = (deal / 2) % 2 == 0;
    const bool won = deal == 0 || deal == 1 || deal == 5 || deal == 8 || deal == 13;
    auto active =
        waves.store.ActiveWarnings(SubjectKey(absl::StrCat("opportunities/o-", deal), ""));
    ASSERT_TRUE(active.ok());
    EXPECT_EQ(active->size(), stalled && !won ? 1u : 0u) << "deal " << deal;
  }
}

// A batch that is one wave per key throughout applies the same as one by one, and
// a second delivery of the whole batch changes nothing.
TEST_F(WarningConsumerWavesTest, ARedeliveredBatchChangesNothing) {
  std::vector<CloudEvent> batch;
  std::vector<std::string> keys;
  for (int deal = 0; deal < 12; ++deal) {
    batch.push_back(ToProposal(deal, absl::StrCat("k-", deal), 1 + deal % 4, 40));
    keys.push_back(SubjectKey(absl::StrCat("opportunities/o-", deal), ""));
  }
  std::vector<const CloudEvent*> ptrs;
  for (const CloudEvent& e : batch) {
    ptrs.push_back(&e);
  }
  World w(clock_);
  for (const absl::Status& s : w.consumer.HandleBatch(ptrs)) {
    EXPECT_TRUE(s.ok()) << s;
  }
  const auto once = w.Snapshot(keys);
  const auto events_once = w.EventCounts();
  EXPECT_EQ(events_once.at("salesops.warning.v1.WarningRaised"), 12);
  for (const absl::Status& s : w.consumer.HandleBatch(ptrs)) {
    EXPECT_TRUE(s.ok()) << s;
  }
  EXPECT_EQ(w.Snapshot(keys), once);
  EXPECT_EQ(w.EventCounts(), events_once);
}

// Each service's directory follows the org topic on its own, so a deal of a team
// just created can reach the engine before its directory has the team. Its
// warning then names no supervisor; once the directory knows the team, the next
// warning of that team is routed to its supervisor after at most
// kUnknownUnitTtl, not after the 30 s a known team's routing is kept.
TEST_F(WarningConsumerWavesTest, ATeamTheDirectoryLearnsLateIsRoutedOnceItKnowsIt) {
  World w(clock_);
  auto supervisor_of = [&](int deal) {
    auto active = w.store.ActiveWarnings(SubjectKey(absl::StrCat("opportunities/o-", deal), ""));
    EXPECT_TRUE(active.ok()) << active.status();
    std::vector<std::string> out;
    for (const auto& warning : active.ok() ? *active : std::vector<Versioned<v1::Warning>>{}) {
      out.push_back(
          absl::StrCat(warning.doc.org_unit(), " ", warning.doc.responsible_supervisor()));
    }
    return out;
  };
  auto handle = [&](const CloudEvent& e) {
    for (const absl::Status& s : w.consumer.HandleBatch({&e})) {
      EXPECT_TRUE(s.ok()) << s;
    }
  };
  handle(ToProposal(100, "k-100", 5, 40, "orgUnits/t-new"));
  EXPECT_THAT(supervisor_of(100), ::testing::ElementsAre("orgUnits/t-new "));

  w.seed.Unit("t-new", "east", ov1::ORG_UNIT_KIND_TEAM);
  w.seed.Member("sup-9", "t-new", ov1::ROLE_SUPERVISOR);
  w.seed.Member("rep-5", "t-new", ov1::ROLE_REP);
  handle(ToProposal(101, "k-101", 5, 40, "orgUnits/t-new"));
  EXPECT_THAT(supervisor_of(101), ::testing::ElementsAre("orgUnits/t-new "))
      << "an unknown team's routing is still cached, briefly";
  w.wall.Advance(kUnknownUnitTtl);
  handle(ToProposal(102, "k-102", 5, 40, "orgUnits/t-new"));
  EXPECT_THAT(supervisor_of(102), ::testing::ElementsAre("orgUnits/t-new members/sup-9"));

  // A known team's routing is kept for routing_ttl: a supervisor it gets later is
  // named only once that runs out.
  w.seed.Unit("t-gz", "east", ov1::ORG_UNIT_KIND_TEAM);
  handle(ToProposal(103, "k-103", 6, 40, "orgUnits/t-gz"));
  EXPECT_THAT(supervisor_of(103), ::testing::ElementsAre("orgUnits/t-gz "));
  w.seed.Member("sup-11", "t-gz", ov1::ROLE_SUPERVISOR);
  w.wall.Advance(kUnknownUnitTtl);
  handle(ToProposal(104, "k-104", 6, 40, "orgUnits/t-gz"));
  EXPECT_THAT(supervisor_of(104), ::testing::ElementsAre("orgUnits/t-gz "));
  w.wall.Advance(EngineOptions().routing_ttl);
  handle(ToProposal(105, "k-105", 6, 40, "orgUnits/t-gz"));
  EXPECT_THAT(supervisor_of(105), ::testing::ElementsAre("orgUnits/t-gz members/sup-11"));
}

// Two deals of one rep are won at once on two replicas (two Kafka keys). Each
// leaves the rep's coverage met on its own; both together do not. The second
// replica read the pipeline figure before the first one's commit moved it: its
// commit must not stand on that figure (it would raise nothing). The rep's period
// subject is rewritten with every pipeline move, so its version guard sends the
// second evaluation back to fresh reads, and the coverage warning is raised.
TEST_F(WarningConsumerWavesTest, AnEvaluationOnAPipelineFigureAnotherCommitMovedIsRedone) {
  for (const bool waves : {false, true}) {
    SCOPED_TRACE(waves ? "the second replica's event in a wave" : "one by one");
    World w(clock_);
    InterleavingCommitter interleaving(w.kv);
    ProjectionStore other_seen(interleaving, WarnKey("eng:seen:"));
    WarningConsumer other(other_seen, w.store, w.engine, clock_);
    const std::string period = SubjectKey("members/rep-1", kPeriod);
    ASSERT_TRUE(w.consumer.Handle(Attainment("plan-a", 1)).ok());
    // Six proposals of ¥50,000 weighted: ¥300,000 against the ¥249,000 that covers
    // the ¥83,000 still to go 3×.
    for (int deal = 0; deal < 6; ++deal) {
      ASSERT_TRUE(w.consumer.Handle(ToProposal(deal, absl::StrCat("k-", deal), 1, 1)).ok());
    }
    auto coverage_warnings = [&] {
      auto active = w.store.ActiveWarnings(period);
      EXPECT_TRUE(active.ok()) << active.status();
      int n = 0;
      for (const auto& warning : active.ok() ? *active : std::vector<Versioned<v1::Warning>>{}) {
        n += warning.doc.rule() == "rules/pipeline-coverage-low" ? 1 : 0;
      }
      return n;
    };
    ASSERT_EQ(coverage_warnings(), 0) << "covered before the deals are won";
    ASSERT_GE(w.Pipelines().at("members/rep-1"), 300'000'00);

    const CloudEvent first = Won(0, "k-0", 1), second = Won(1, "k-1", 1);
    interleaving.before_first = [&] { EXPECT_TRUE(w.consumer.Handle(first).ok()); };
    if (waves) {
      const std::vector<const CloudEvent*> batch = {&second};
      std::vector<absl::Status> got = other.HandleBatch(batch);
      ASSERT_EQ(got.size(), 1u);
      EXPECT_TRUE(got[0].ok()) << got[0];
    } else {
      EXPECT_TRUE(other.Handle(second).ok());
    }
    EXPECT_FALSE(interleaving.before_first) << "the first replica's commit came in between";
    EXPECT_LT(w.Pipelines().at("members/rep-1"), 249'000'00);
    EXPECT_EQ(coverage_warnings(), 1) << "both wins together leave the coverage short";
  }
}

// A backlog delivers the targets topic's attainment long before the deals that
// make the pipeline (make run's demo load did): judged then, every rep's
// coverage is 0× and the warning is raised, posted to the group and resolved a
// moment later. While the engine's consumer is behind, a period's evaluation
// waits; deals are judged at once. Once no replica is behind, the scheduler
// judges the deferred periods on their complete figures: only the real
// shortfall is raised.
TEST_F(WarningConsumerWavesTest, WhileBehindAPeriodIsJudgedOnlyOnceItsFiguresAreComplete) {
  // rep-1: five proposals, coverage met; rep-2: one proposal, coverage short.
  std::vector<CloudEvent> backlog = {Attainment("plan-a", 1), Attainment("plan-b", 2)};
  for (int deal = 0; deal < 5; ++deal) {
    backlog.push_back(ToProposal(deal, absl::StrCat("c-", deal), 1, 1));
  }
  backlog.push_back(ToProposal(5, "c-5", 2, 1));
  backlog.push_back(ToProposal(6, "c-6", 3, 40));  // rep-3's stalled deal
  const std::string stalled = "raised rules/opportunity-stalled-proposal opportunities/o-6";
  const std::string rep1_raised = "raised rules/pipeline-coverage-low members/rep-1";
  const std::string rep2_raised = "raised rules/pipeline-coverage-low members/rep-2";

  // Current all along: rep-1's 0× alarm is raised and resolved within the backlog.
  World current(clock_);
  for (const CloudEvent& e : backlog) {
    ASSERT_TRUE(current.consumer.Handle(e).ok());
  }
  EXPECT_EQ(current.Logged(rep1_raised), 1);
  EXPECT_EQ(current.Logged("resolved rules/pipeline-coverage-low members/rep-1"), 1);

  World w(clock_);
  w.behind = true;
  for (const CloudEvent& e : backlog) {
    ASSERT_TRUE(w.consumer.Handle(e).ok());
  }
  EXPECT_EQ(w.Logged(stalled), 1) << "a deal is judged at once";
  EXPECT_EQ(w.Logged("raised rules/pipeline-coverage-low"), 0);
  EXPECT_EQ(w.engine.stats().deferred.load(), 8) << "two attainments, six proposals of reps 1-2";

  // Caught up, but its word that it was behind still counts for 10 s.
  w.behind = false;
  absl::StatusOr<int> run = w.scheduler.RunDue();
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(w.Logged("raised rules/pipeline-coverage-low"), 0);
  // Past that, another replica (its own engine and consumer, the same Redis)
  // is behind and says so with its commit: the periods still wait.
  w.wall.Advance(absl::Seconds(11));
  EngineOptions other_options = World::Options(&w);
  bool other_behind = true;
  other_options.behind = [&] { return other_behind; };
  WarningEngine other_engine(w.store, w.directory, w.rules, other_options);
  WarningConsumer other_replica(w.seen, w.store, other_engine, clock_);
  ASSERT_TRUE(other_replica.Handle(ToProposal(7, "c-7", 4, 1)).ok());
  ASSERT_TRUE(current.consumer.Handle(ToProposal(7, "c-7", 4, 1)).ok());
  run = w.scheduler.RunDue();
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(w.Logged("raised rules/pipeline-coverage-low"), 0);
  // This replica, caught up, defers a period its own event moves: the rest of
  // the figures may sit on the other replica's partitions.
  const int64_t deferred = w.engine.stats().deferred.load();
  ASSERT_TRUE(w.consumer.Handle(ToProposal(8, "c-8", 2, 1)).ok());
  ASSERT_TRUE(current.consumer.Handle(ToProposal(8, "c-8", 2, 1)).ok());
  EXPECT_EQ(w.engine.stats().deferred.load(), deferred + 1);
  EXPECT_EQ(w.Logged("raised rules/pipeline-coverage-low"), 0);
  // No word from any replica for 10 s: the deferred periods are judged.
  other_behind = false;
  w.wall.Advance(absl::Seconds(11));
  run = w.scheduler.RunDue();
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(w.Logged(rep1_raised), 0) << absl::StrJoin(w.WarningLog(), "\n");
  EXPECT_EQ(w.Logged(rep2_raised), 1) << absl::StrJoin(w.WarningLog(), "\n");
  EXPECT_EQ(w.Logged("resolved"), 0);
  // As the current engine left them: rep-1's alarm gone, rep-2's open.
  const std::vector<std::string> periods = {SubjectKey("members/rep-1", kPeriod),
                                            SubjectKey("members/rep-2", kPeriod)};
  EXPECT_EQ(w.Snapshot(periods, false), current.Snapshot(periods, false));
  EXPECT_EQ(w.Pipelines(), current.Pipelines());
  run = w.scheduler.RunDue();
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(w.Logged("raised rules/pipeline-coverage-low"), 1) << "judged once";
}

// A data migration replays history through the live API (make run's demo load
// replays two years of deals): each deal's past stages arrive a moment apart,
// each "stalled" since its back-dated entry until the next step. Judged event
// by event, every step raised a warning that the next resolved (~60,000 during
// the demo load). An event older than history_age is judged where its
// history ends: history_settle later, by the scheduler. Live events are
// judged at once as before.
TEST_F(WarningConsumerWavesTest, AReplayedHistoryIsJudgedWhereItEnds) {
  // Deal 1: to proposal 40 days ago, won (the history's end). Deal 2: to
  // proposal 40 days ago and still there: really stalled. Rep-2's attainment
  // an hour old: live with a two-hour history age.
  const std::vector<CloudEvent> events = {ToProposal(1, "c-1", 1, 40), ToProposal(2, "c-2", 1, 40),
                                          Won(1, "c-1", 1), Attainment("plan-b", 2)};
  const std::string stalled = "raised rules/opportunity-stalled-proposal opportunities/o-";

  World each_step(clock_);  // history_age 0: every event judged at once
  for (const CloudEvent& e : events) {
    ASSERT_TRUE(each_step.consumer.Handle(e).ok());
  }
  EXPECT_EQ(each_step.Logged(stalled + "1"), 1);
  EXPECT_EQ(each_step.Logged("resolved rules/opportunity-stalled-proposal opportunities/o-1"), 1);

  World w(clock_);
  EngineOptions options = World::Options(&w);
  options.history_age = absl::Hours(2);
  options.history_settle = absl::Seconds(30);
  WarningEngine engine(w.store, w.directory, w.rules, options);
  WarningConsumer consumer(w.seen, w.store, engine, clock_);
  WarningScheduler scheduler(w.store, engine, clock_);
  for (const CloudEvent& e : events) {
    ASSERT_TRUE(consumer.Handle(e).ok());
  }
  EXPECT_EQ(w.Logged("raised rules/pipeline-coverage-low members/rep-2"), 1) << "live: at once";
  EXPECT_EQ(w.Logged(stalled), 0) << absl::StrJoin(w.WarningLog(), "\n");
  EXPECT_EQ(engine.stats().settling.load(), 2);
  absl::StatusOr<int> run = scheduler.RunDue();
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(w.Logged(stalled), 0) << "not before the history settles";

  clock_.Advance(absl::Seconds(31));
  run = scheduler.RunDue();
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(w.Logged(stalled + "1"), 0) << "won where its history ends";
  EXPECT_EQ(w.Logged(stalled + "2"), 1);
  EXPECT_EQ(w.Logged("resolved"), 0);

  // The same in waves (the consumer's batches), and an event without a time
  // of its own (ce_time is optional; it reads as the epoch) is not history.
  World waves(clock_);
  WarningEngine waves_engine(waves.store, waves.directory, waves.rules, [&] {
    EngineOptions o = World::Options(&waves);
    o.history_age = absl::Hours(2);
    return o;
  }());
  WarningConsumer waves_consumer(waves.seen, waves.store, waves_engine, clock_);
  std::vector<CloudEvent> batch = events;
  batch.push_back(ToProposal(3, "c-3", 1, 40));
  batch.back().time = absl::UnixEpoch();
  std::vector<const CloudEvent*> ptrs;
  for (const CloudEvent& e : batch) {
    ptrs.push_back(&e);
  }
  for (const absl::Status& s : waves_consumer.HandleBatch(ptrs)) {
    EXPECT_TRUE(s.ok()) << s;
  }
  EXPECT_EQ(waves.Logged(stalled + "3"), 1) << "no time of its own: judged at once";
  EXPECT_EQ(waves.Logged(stalled + "1"), 0);
  EXPECT_EQ(waves.Logged(stalled + "2"), 0);
  EXPECT_EQ(waves_engine.stats().settling.load(), 2);
}

// A replica that stays behind (a partition without a leader, a sustained
// overload) is stuck, not catching up: after max_wait the periods are judged
// on the figures as they are, rather than never.
TEST_F(WarningConsumerWavesTest, AReplicaStuckBehindHoldsPeriodsNoLongerThanMaxWait) {
  World w(clock_);
  w.behind = true;
  ASSERT_TRUE(w.consumer.Handle(Attainment("plan-b", 2)).ok());  // rep-2: coverage short
  ASSERT_TRUE(w.scheduler.RunDue().ok());
  auto raised = [&] { return w.Logged("raised rules/pipeline-coverage-low members/rep-2"); };
  EXPECT_EQ(raised(), 0);
  EXPECT_TRUE(w.engine.waiting());
  w.wall.Advance(absl::Minutes(9));
  ASSERT_TRUE(w.scheduler.RunDue().ok());
  EXPECT_EQ(raised(), 0);
  w.wall.Advance(absl::Minutes(2));  // 11 minutes behind: past the 10-minute default
  ASSERT_TRUE(w.scheduler.RunDue().ok());
  EXPECT_EQ(raised(), 1);
  EXPECT_FALSE(w.engine.waiting()) << "judged: the gauge says it no longer waits";

  // Caught up, then behind again: a new episode waits again from its start.
  w.behind = false;
  w.wall.Advance(absl::Seconds(11));
  ASSERT_TRUE(w.scheduler.RunDue().ok());
  w.behind = true;
  ASSERT_TRUE(w.consumer.Handle(Attainment("plan-a", 1)).ok());
  EXPECT_TRUE(w.engine.waiting());
  const int64_t deferred = w.engine.stats().deferred.load();
  ASSERT_TRUE(w.consumer.Handle(ToProposal(1, "c-1", 1, 1)).ok());
  EXPECT_EQ(w.engine.stats().deferred.load(), deferred + 1);
}

}  // namespace
}  // namespace salesops::warning
