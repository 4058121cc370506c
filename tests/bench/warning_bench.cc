// The warning engine against a real Redis and Kafka, next to raw librdkafka
// on the same broker in the same run:
//   throughput: N opportunity events (created + stage changed; half of the
//     deals stalled for 40 days, so half raise a warning) already on a topic;
//     the engine's consumer group (WarningConsumer, 50 rules) processes them,
//     timed from start to the last one processed; baseline: a plain
//     librdkafka consumer reading the same records.
//   latency: stalled-deal events published one by one at a steady rate (after
//     uncounted warm-up events); time
//     from the producer call to the WarningRaised (outbox → relay → Kafka)
//     read by a plain consumer, p50/p99; baseline: produce → consume of
//     same-size records on another topic, one sent at each tick next to the
//     engine's event (same moments, same machine state). Each WarningRaised also
//     splits its latency into five stages: publish → received (the engine's
//     handler called with its cause: broker, the consumer's fetch and decode) →
//     evaluated (the WarningRaised's ce_time, taken as its wave's rules start:
//     the wave's reads and the batch's earlier waves) → applied (the handler
//     returned: the rules, the commit and its acknowledgement) → relayed (the
//     record's CreateTime: the outbox wait and the relay's produce; can be a
//     little below 0, as the relay may see the entry before the engine reads
//     its commit's reply, and CreateTime is in whole ms) → read (broker and
//     consumer).
// Prints JSON lines.
//
//   warning_bench --redis_addr=127.0.0.1:P --kafka_bootstrap=127.0.0.1:P --events=20000
#include <librdkafka/rdkafkacpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <optional>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/directory/org_directory.h"
#include "common/kafka/admin.h"
#include "common/kafka/consumer.h"
#include "common/kafka/producer.h"
#include "common/outbox/relay.h"
#include "common/projection/projection_store.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/org/v1/org_events.pb.h"
#include "salesops/targets/v1/targets_events.pb.h"
#include "salesops/warning/v1/warning_events.pb.h"
#include "services/warning/domain/rules.h"
#include "services/warning/events/warning_consumer.h"
#include "tests/bench/bench_backends.h"

ABSL_FLAG(std::string, redis_addr, "127.0.0.1:6380", "Redis");
ABSL_FLAG(std::string, kafka_bootstrap, "127.0.0.1:9092", "Kafka");
ABSL_FLAG(int, events, 20000, "events in the throughput phase");
ABSL_FLAG(int, latency_events, 1000, "events in each latency phase");
ABSL_FLAG(int, latency_warmup, 200, "events sent first in each latency phase, not counted");
ABSL_FLAG(absl::Duration, latency_interval, absl::Milliseconds(5), "gap between latency events");
ABSL_FLAG(int, rules, 50, "rules the engine evaluates");
ABSL_FLAG(int, lanes, 4,
          "the baseline mode: events of different keys evaluated at once, each on its own "
          "(--warning_engine_waves=false --warning_engine_lanes)");
ABSL_FLAG(bool, lanes_phase, true,
          "also measure the lanes baseline (false: the waves alone, e.g. to profile them)");
ABSL_FLAG(bool, latency_phase, true,
          "also measure publish → WarningRaised latency (false: throughput only, e.g. for "
          "make bench's later rounds)");
ABSL_FLAG(bool, period_subjects, false,
          "give every rep and team an attainment this quarter first (applied before the "
          "timed phase), so each deal event also re-evaluates its rep's and team's period");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(300), "give up after");
ABSL_FLAG(std::string, latency_samples, "",
          "if set, each latency event's publish time and stages (ms) written there as CSV, to "
          "see when the slow ones happen");

namespace {

using namespace salesops;
namespace cv1 = salesops::customers::v1;
namespace wv1 = salesops::warning::v1;
using salesops::bench::Group;
using salesops::bench::Header;
using salesops::bench::MachineCpuSeconds;
using salesops::bench::Percentile;
using salesops::bench::PlainConsumer;
using salesops::bench::ProcessCpuSeconds;
using salesops::bench::RawLatency;
using salesops::bench::RedisCpuSeconds;

constexpr int kTeams = 4;
constexpr int kRepsPerTeam = 5;

std::string Team(int i) { return absl::StrCat("bench-team-", i % kTeams); }
std::string Rep(int i) { return absl::StrCat("bench-rep-", i % (kTeams * kRepsPerTeam)); }

// The org the engine routes through: a company, four teams with a supervisor
// and five reps each, fed to the directory projection as org events.
absl::Status BuildOrg(RedisClient& redis, TransactionalOutbox& outbox) {
  ProjectionStore seen(outbox, warning::WarnKey("dir:seen:"));
  org::OrgDirectoryProjection dir(seen, redis, warning::kKeyPrefix);
  auto unit = [&](const std::string& id, salesops::org::v1::OrgUnitKind kind,
                  const std::string& parent) {
    salesops::org::v1::OrgUnitCreated e;
    e.mutable_org_unit()->set_name("orgUnits/" + id);
    e.mutable_org_unit()->set_display_name(id);
    e.mutable_org_unit()->set_kind(kind);
    if (!parent.empty()) {
      e.mutable_org_unit()->set_parent("orgUnits/" + parent);
    }
    return dir.Handle(MakeCloudEvent("/salesops/org", id, "orgUnits/" + id, e, absl::Now()));
  };
  auto member = [&](const std::string& id, salesops::org::v1::Role role, const std::string& team) {
    salesops::org::v1::MemberJoined e;
    e.mutable_member()->set_name("members/" + id);
    e.mutable_member()->set_display_name(id);
    e.mutable_member()->set_role(role);
    e.mutable_member()->set_org_unit("orgUnits/" + team);
    return dir.Handle(MakeCloudEvent("/salesops/org", id, "members/" + id, e, absl::Now()));
  };
  SALESOPS_RETURN_IF_ERROR(unit("bench-co", salesops::org::v1::ORG_UNIT_KIND_COMPANY, ""));
  for (int t = 0; t < kTeams; ++t) {
    SALESOPS_RETURN_IF_ERROR(unit(Team(t), salesops::org::v1::ORG_UNIT_KIND_TEAM, "bench-co"));
    SALESOPS_RETURN_IF_ERROR(
        member(absl::StrCat("bench-sup-", t), salesops::org::v1::ROLE_SUPERVISOR, Team(t)));
  }
  for (int r = 0; r < kTeams * kRepsPerTeam; ++r) {
    SALESOPS_RETURN_IF_ERROR(member(Rep(r), salesops::org::v1::ROLE_REP, Team(r)));
  }
  return absl::OkStatus();
}

// The shipped rules plus generated ones up to `n`: stalled-deal rules with
// other day counts (they all watch the deals these events are about) and
// neglect rules.
absl::StatusOr<warning::RuleList> Rules(int n) {
  SALESOPS_ASSIGN_OR_RETURN(warning::RuleList rules, warning::DefaultRules());
  const wv1::Rule stalled = rules[0].condition() == wv1::CONDITION_KIND_OPPORTUNITY_STALLED
                                ? rules[0]
                                : *std::find_if(rules.begin(), rules.end(), [](const wv1::Rule& r) {
                                    return r.condition() == wv1::CONDITION_KIND_OPPORTUNITY_STALLED;
                                  });
  for (int i = 0; static_cast<int>(rules.size()) < n; ++i) {
    wv1::Rule r = stalled;
    r.set_name(absl::StrCat("rules/bench-stalled-", i));
    r.set_display_name(absl::StrCat("bench stalled ", i));
    r.mutable_threshold()->set_days(45 + i);  // never reached by these deals: evaluated, not raised
    rules.push_back(r);
  }
  return rules;
}

CloudEvent Created(int i, const std::string& run, absl::Time at) {
  cv1::OpportunityCreated e;
  e.set_opportunity(absl::StrCat("opportunities/b", run, "-", i));
  e.set_customer(absl::StrCat("customers/c", run, "-", i));
  e.set_display_name(absl::StrCat("压测商机 ", i));
  e.set_stage(cv1::OPPORTUNITY_STAGE_LEAD);
  e.set_owner("members/" + Rep(i));
  e.set_team("orgUnits/" + Team(i % (kTeams * kRepsPerTeam)));
  e.set_region("orgUnits/bench-co");
  e.set_product_line("orgUnits/pl");
  e.set_channel("direct");
  e.set_customer_type("enterprise");
  e.mutable_amount()->set_amount_minor(500'000'00 + i);
  e.mutable_amount()->set_currency_code("CNY");
  return MakeCloudEvent("/salesops/customers", absl::StrCat("c", run, "-", i), e.opportunity(), e,
                        at);
}

// The attainment of rep `r` (or, with r < 0, of team -r-1) this quarter: far from
// its target, so the period rules have something to say.
CloudEvent Attainment(int r, const std::string& run, absl::Time now) {
  namespace tv1 = salesops::targets::v1;
  const absl::CivilDay today = absl::ToCivilDay(now, absl::UTCTimeZone());
  const int quarter = (today.month() - 1) / 3;
  const absl::CivilMonth start(today.year(), quarter * 3 + 1);
  const absl::CivilDay end = absl::CivilDay(start + 3) - 1;
  tv1::AttainmentUpdated e;
  e.set_plan("plans/bench-" + run);
  e.set_period(absl::StrCat("fiscalPeriods/FY", today.year(), "-Q", quarter + 1));
  const bool rep = r >= 0;
  e.set_level(rep ? tv1::ATTAINMENT_LEVEL_REP : tv1::ATTAINMENT_LEVEL_TEAM);
  e.set_subject(rep ? "members/" + Rep(r) : "orgUnits/" + Team(-r - 1));
  if (rep) {
    e.set_rep("members/" + Rep(r));
  }
  e.set_team("orgUnits/" + Team(rep ? r : -r - 1));
  e.mutable_target()->set_amount_minor(rep ? 10'000'000'00 : 50'000'000'00);
  e.mutable_target()->set_currency_code("CNY");
  e.mutable_actual()->set_amount_minor(rep ? 1'000'000'00 : 5'000'000'00);
  e.mutable_actual()->set_currency_code("CNY");
  e.mutable_period_start_date()->set_year(static_cast<int>(start.year()));
  e.mutable_period_start_date()->set_month(start.month());
  e.mutable_period_start_date()->set_day(1);
  e.mutable_period_end_date()->set_year(static_cast<int>(end.year()));
  e.mutable_period_end_date()->set_month(end.month());
  e.mutable_period_end_date()->set_day(end.day());
  e.set_attainment_basis_points(1000);
  return MakeCloudEvent("/salesops/targets", absl::StrCat("a", run, "-", r), e.subject(), e, now);
}

// The engine's handler, noting when each event first reached it and when its
// handling last returned (applied, or given up on), for the latency stages.
class Stamped final : public EventHandler {
 public:
  explicit Stamped(EventHandler& inner) : inner_(inner) {}
  absl::Status Handle(const CloudEvent& e) override {
    const absl::Time in = absl::Now();
    absl::Status s = inner_.Handle(e);
    Note({&e}, in);
    return s;
  }
  std::vector<absl::Status> HandleBatch(const std::vector<const CloudEvent*>& events) override {
    const absl::Time in = absl::Now();
    std::vector<absl::Status> out = inner_.HandleBatch(events);
    Note(events, in);
    return out;
  }
  struct Times {
    absl::Time received, returned;
  };
  std::optional<Times> Of(const std::string& id) {
    absl::MutexLock lock(&mu_);
    auto it = times_.find(id);
    return it == times_.end() ? std::nullopt : std::optional<Times>(it->second);
  }

 private:
  void Note(const std::vector<const CloudEvent*>& events, absl::Time in) {
    const absl::Time now = absl::Now();
    absl::MutexLock lock(&mu_);
    for (const CloudEvent* e : events) {
      times_.try_emplace(e->id, Times{in, now}).first->second.returned = now;
    }
  }
  EventHandler& inner_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Times> times_ ABSL_GUARDED_BY(mu_);
};

CloudEvent StageChanged(int i, const std::string& run, absl::Time at) {
  cv1::OpportunityStageChanged e;
  e.set_opportunity(absl::StrCat("opportunities/b", run, "-", i));
  e.set_customer(absl::StrCat("customers/c", run, "-", i));
  e.set_display_name(absl::StrCat("压测商机 ", i));
  e.set_from_stage(cv1::OPPORTUNITY_STAGE_LEAD);
  e.set_to_stage(cv1::OPPORTUNITY_STAGE_PROPOSAL);  // 14 days: stalls at 40 days
  e.set_owner("members/" + Rep(i));
  e.set_team("orgUnits/" + Team(i % (kTeams * kRepsPerTeam)));
  e.set_region("orgUnits/bench-co");
  e.set_product_line("orgUnits/pl");
  e.set_channel("direct");
  e.set_customer_type("enterprise");
  e.mutable_amount()->set_amount_minor(500'000'00 + i);
  e.mutable_amount()->set_currency_code("CNY");
  return MakeCloudEvent("/salesops/customers", absl::StrCat("c", run, "-", i), e.opportunity(), e,
                        at);
}

}  // namespace

int main(int argc, char** argv) {
  salesops::ParseFlagsWithEnv(argc, argv, "Warning engine benchmark (make bench)");
  const std::string bootstrap = absl::GetFlag(FLAGS_kafka_bootstrap);
  const int n = absl::GetFlag(FLAGS_events) / 2 * 2;
  const int m = absl::GetFlag(FLAGS_latency_events);
  const std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  const std::string in_topic = "salesops.bench.warning-in." + run;
  const std::string live_topic = "salesops.bench.warning-live." + run;
  const std::string raw_topic = "salesops.bench.warning-raw." + run;
  if (absl::Status s = EnsureTopics(bootstrap,
                                    {{in_topic, 3},
                                     {live_topic, 3},
                                     {raw_topic, 3},
                                     {warning::kWarningTopic, 3},
                                     {in_topic + ".dlq", 1}},
                                    absl::Seconds(10), salesops::bench::KafkaAuth());
      !s.ok()) {
    std::fprintf(stderr, "topics: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  RedisOptions ro;
  SplitHostPort(absl::GetFlag(FLAGS_redis_addr), &ro.host, &ro.port);
  ro.pool_size = 8;
  salesops::bench::ApplyRedisAuth(&ro);
  RedisClient redis(ro);
  TransactionalOutbox outbox(redis, warning::WarnKey("outbox"));
  warning::WarningStore store(redis, outbox);
  if (absl::Status s = BuildOrg(redis, outbox); !s.ok()) {
    std::fprintf(stderr, "org: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  absl::StatusOr<warning::RuleList> rules = Rules(absl::GetFlag(FLAGS_rules));
  warning::RuleSet rule_set(store, absl::Seconds(60));
  if (!rules.ok() || !rule_set.Seed(*rules, absl::Now()).ok()) {
    std::fprintf(stderr, "rules could not be stored\n");
    return 1;
  }
  absl::TimeZone tz;
  absl::LoadTimeZone("Asia/Shanghai", &tz);
  org::OrgDirectory directory(redis, warning::kKeyPrefix);
  warning::EngineOptions engine_options;
  engine_options.tz = tz;
  warning::WarningEngine engine(store, directory, rule_set, engine_options);
  SystemClock clock;
  ProjectionStore seen(outbox, warning::WarnKey("eng:seen:"));
  // The engine as it runs (waves), and the way it ran before them (each event on its
  // own, `lanes` at once), measured on the same records in the same run.
  warning::WarningConsumer handler(seen, store, engine, clock);
  warning::WarningConsumer one_by_one(seen, store, engine, clock,
                                      {.waves = false, .lanes = absl::GetFlag(FLAGS_lanes)});
  ProducerOptions producer_options;
  producer_options.bootstrap = bootstrap;
  producer_options.sasl = salesops::bench::KafkaAuth();
  producer_options.client_id = "bench-warning";
  KafkaProducer producer(producer_options);
  if (!producer.Start().ok()) {
    return 1;
  }

  // ---- Throughput: the records first, then the engine; once per mode, each on its own
  // copy of the records (other deal and event ids: the second would find them seen).
  const absl::Time old = absl::Now() - absl::Hours(24 * 40);
  const absl::Time deadline = absl::Now() + absl::GetFlag(FLAGS_timeout);
  bool all_processed = true;
  for (const bool waves : {false, true}) {
    if (!waves && !absl::GetFlag(FLAGS_lanes_phase)) {
      continue;
    }
    const std::string mode = waves ? "waves" : absl::StrCat("lanes", absl::GetFlag(FLAGS_lanes));
    const std::string topic = absl::StrCat(in_topic, ".", mode);
    const std::string ids = absl::StrCat(run, "-", mode);
    if (absl::GetFlag(FLAGS_period_subjects)) {
      // Reps r >= 0, teams -t-1; applied directly: the periods exist before the deals.
      for (int r = -kTeams; r < kTeams * kRepsPerTeam; ++r) {
        if (absl::Status s = handler.Handle(Attainment(r, ids, absl::Now())); !s.ok()) {
          std::fprintf(stderr, "attainment: %s\n", std::string(s.message()).c_str());
          return 1;
        }
      }
    }
    if (absl::Status s =
            EnsureTopics(bootstrap, {{topic, 3}}, absl::Seconds(10), salesops::bench::KafkaAuth());
        !s.ok()) {
      std::fprintf(stderr, "topic: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    for (int i = 0; i < n / 2; ++i) {
      const absl::Time at = i % 2 == 0 ? old : absl::Now();  // even deals stall
      for (const CloudEvent& e :
           {Created(i, ids, at), StageChanged(i, ids, at + absl::Seconds(1))}) {
        (void)producer.Produce(topic, e.key, e.data, ToKafkaHeaders(e), [](absl::Status) {});
      }
    }
    (void)producer.Flush(absl::Seconds(60));
    const int64_t raised_before = engine.stats().raised.load();
    const int64_t evaluations_before = engine.stats().evaluations.load();
    const double cpu_before = ProcessCpuSeconds();
    const double redis_cpu_before = RedisCpuSeconds(redis);
    const auto [machine_busy_before, machine_total_before] = MachineCpuSeconds();
    const absl::Time start = absl::Now();
    KafkaEventConsumer consumer(
        Group(bootstrap, absl::StrCat("bench-warning-", ids), topic, in_topic + ".dlq"),
        waves ? handler : one_by_one, producer);
    (void)consumer.Start();
    // The consumer's group join comes first: about a second for the first mode (on a
    // fresh broker the group coordinator is still loading its offsets topic), ~20 ms
    // for the second, whose first event is processed ~0.2 s after Start. The steady
    // rate is also reported, from the first event processed.
    std::optional<absl::Time> first;
    while (consumer.stats().processed.load() < n && absl::Now() < deadline) {
      if (!first && consumer.stats().processed.load() > 0) {
        first = absl::Now();
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    const double engine_secs = absl::ToDoubleSeconds(absl::Now() - start);
    const double steady_secs = first ? absl::ToDoubleSeconds(absl::Now() - *first) : -1;
    // Where the time went: CPU per event in this process (the engine and its Kafka
    // client) and in Redis (the engine's reads and commit scripts).
    const double engine_cpu_us = (ProcessCpuSeconds() - cpu_before) * 1e6 / n;
    const double redis_cpu_after = RedisCpuSeconds(redis);
    const double redis_cpu_us = redis_cpu_before < 0 || redis_cpu_after < 0
                                    ? -1.0
                                    : (redis_cpu_after - redis_cpu_before) * 1e6 / n;
    const auto [machine_busy_after, machine_total_after] = MachineCpuSeconds();
    const bool machine_known = machine_busy_before >= 0 && machine_busy_after >= 0 &&
                               machine_total_after > machine_total_before;
    // All processes (engine, Redis, the broker, the rest), and how busy the cores were.
    const double machine_cpu_us =
        machine_known ? (machine_busy_after - machine_busy_before) * 1e6 / n : -1.0;
    const double machine_busy = machine_known ? (machine_busy_after - machine_busy_before) /
                                                    (machine_total_after - machine_total_before)
                                              : -1.0;
    const int64_t processed = consumer.stats().processed.load();
    const int64_t raised = engine.stats().raised.load() - raised_before;
    all_processed = all_processed && processed == n;
    consumer.Stop();
    // Baseline: a plain consumer reading the same records (includes its group join).
    double raw_secs = -1;
    {
      const absl::Time t0 = absl::Now();
      auto c = PlainConsumer(bootstrap, absl::StrCat("bench-warning-raw-", ids), topic, "earliest");
      int got = 0;
      while (got < n && absl::Now() < deadline + absl::Seconds(60)) {
        std::unique_ptr<RdKafka::Message> msg(c->consume(100));
        if (msg->err() == RdKafka::ERR_NO_ERROR) {
          ++got;
        }
      }
      if (got == n) {
        raw_secs = absl::ToDoubleSeconds(absl::Now() - t0);
      }
      c->close();
    }
    const warning::WarningConsumerStats& ws = handler.stats();
    std::printf(
        "{\"target\":\"warning_throughput\",\"mode\":\"%s\",\"events\":%d,\"processed\":%lld,"
        "\"rules\":%zu,\"warnings_raised\":%lld,\"events_per_s\":%.0f,"
        "\"events_per_s_after_join\":%.0f,"
        "\"raw_consume_events_per_s\":%.0f,\"rule_evaluations\":%lld,\"waves\":%lld,"
        "\"in_waves\":%lld,\"alone\":%lld,\"engine_cpu_us_per_event\":%.1f,"
        "\"redis_cpu_us_per_event\":%.1f,\"machine_cpu_us_per_event\":%.1f,"
        "\"machine_busy\":%.2f,\"cores\":%ld}\n",
        mode.c_str(), n, static_cast<long long>(processed), rules->size(),
        static_cast<long long>(raised), processed == n ? n / engine_secs : -1.0,
        processed == n && steady_secs > 0 ? n / steady_secs : -1.0,
        raw_secs > 0 ? n / raw_secs : -1.0,
        static_cast<long long>(engine.stats().evaluations.load() - evaluations_before),
        static_cast<long long>(waves ? ws.waves.load() : 0),
        static_cast<long long>(waves ? ws.in_waves.load() : 0),
        static_cast<long long>(waves ? ws.alone.load() : 0), engine_cpu_us, redis_cpu_us,
        machine_cpu_us, machine_busy, sysconf(_SC_NPROCESSORS_ONLN));
    std::fflush(stdout);
  }

  if (!absl::GetFlag(FLAGS_latency_phase)) {
    producer.Stop();
    return all_processed ? 0 : 1;
  }

  // ---- Latency: publish → WarningRaised, with the relay running.
  RelayOptions relay_options;
  relay_options.stream_key = warning::WarnKey("outbox");
  OutboxRelay relay(redis, producer, relay_options);
  relay.Start();
  absl::SleepFor(absl::Seconds(2));  // the throughput phase's outbox drains
  Stamped stamped(handler);
  KafkaEventConsumer live(
      Group(bootstrap, "bench-warning-live-" + run, live_topic, in_topic + ".dlq"), stamped,
      producer);
  (void)live.Start();
  auto warnings =
      PlainConsumer(bootstrap, "bench-warning-out-" + run, warning::kWarningTopic, "latest");
  // Baseline, in the same moments: each tick also produces a same-size record on
  // another topic, read by a plain consumer. Engine and raw records share the
  // machine's state (JIT, page cache, other load) instead of following each other.
  RawLatency raw(PlainConsumer(bootstrap, "bench-warning-rawlat-" + run, raw_topic, "latest"), m,
                 absl::GetFlag(FLAGS_timeout));
  absl::SleepFor(absl::Seconds(3));  // the engine's group joins
  absl::Mutex mu;
  absl::flat_hash_map<std::string, absl::Time> sent;  // cause event id → publish time
  std::vector<double> engine_ms;
  // Each WarningRaised's moments; its stages (see the top) once all are in.
  struct Sample {
    std::string cause;
    absl::Time sent, evaluated, relayed, read;
  };
  std::vector<Sample> samples;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    const absl::Time end = absl::Now() + absl::GetFlag(FLAGS_timeout);
    while (!done.load() && absl::Now() < end) {
      std::unique_ptr<RdKafka::Message> msg(warnings->consume(50));
      if (msg->err() != RdKafka::ERR_NO_ERROR) {
        continue;
      }
      const absl::Time now = absl::Now();
      if (Header(*msg, "ce_type") != "salesops.warning.v1.WarningRaised") {
        continue;
      }
      wv1::WarningRaised e;
      if (!e.ParseFromArray(msg->payload(), static_cast<int>(msg->len()))) {
        continue;
      }
      absl::MutexLock lock(&mu);
      auto it = sent.find(e.cause_event_id());
      if (it == sent.end()) {
        continue;
      }
      engine_ms.push_back(absl::ToDoubleMilliseconds(now - it->second));
      absl::Time evaluated;
      std::string err;
      const RdKafka::MessageTimestamp ts = msg->timestamp();
      if (absl::ParseTime(absl::RFC3339_full, Header(*msg, "ce_time"), &evaluated, &err) &&
          ts.type == RdKafka::MessageTimestamp::MSG_TIMESTAMP_CREATE_TIME) {
        samples.push_back(
            {it->first, it->second, evaluated, absl::FromUnixMillis(ts.timestamp), now});
      }
      sent.erase(it);
      if (static_cast<int>(engine_ms.size()) == m) {
        done = true;
      }
    }
  });
  const absl::Duration gap = absl::GetFlag(FLAGS_latency_interval);
  const int warmup = absl::GetFlag(FLAGS_latency_warmup);
  for (int i = -warmup; i < m; ++i) {
    CloudEvent e = StageChanged(n + warmup + i, run, old);
    CloudEvent r = StageChanged(n + m + 2 * warmup + i, run, old);  // same size
    const std::string raw_key = absl::StrCat("raw-", i);
    // Alternate which goes first, so neither always waits behind the other.
    for (int k = 0; k < 2; ++k) {
      if ((k == 0) == (i % 2 == 0)) {
        if (i >= 0) {
          absl::MutexLock lock(&mu);
          sent[e.id] = absl::Now();
        }
        (void)producer.Produce(live_topic, e.key, e.data, ToKafkaHeaders(e), [](absl::Status) {});
      } else {
        if (i >= 0) {
          raw.Sent(raw_key);
        }
        (void)producer.Produce(raw_topic, raw_key, r.data, ToKafkaHeaders(r), [](absl::Status) {});
      }
    }
    absl::SleepFor(gap);
  }
  reader.join();
  const std::vector<double> raw_ms = raw.Wait();
  live.Stop();
  constexpr int kStages = 5;
  constexpr const char* kStageNames[kStages] = {"publish_to_received", "received_to_evaluated",
                                                "evaluated_to_applied", "applied_to_relayed",
                                                "relayed_to_read"};
  std::vector<double> stage_ms[kStages];
  std::sort(samples.begin(), samples.end(),
            [](const Sample& a, const Sample& b) { return a.sent < b.sent; });
  FILE* csv = nullptr;
  if (const std::string path = absl::GetFlag(FLAGS_latency_samples); !path.empty()) {
    csv = std::fopen(path.c_str(), "w");
  }
  if (csv != nullptr) {
    std::fprintf(csv, "sent_ms,total_ms");
    for (const char* name : kStageNames) {
      std::fprintf(csv, ",%s_ms", name);
    }
    std::fprintf(csv, "\n");
  }
  for (const Sample& x : samples) {
    const std::optional<Stamped::Times> at = stamped.Of(x.cause);
    if (!at.has_value()) {
      continue;  // cannot be (the handler call that committed it has returned); not counted
    }
    const absl::Time moments[kStages + 1] = {x.sent,       at->received, x.evaluated,
                                             at->returned, x.relayed,    x.read};
    for (int k = 0; k < kStages; ++k) {
      stage_ms[k].push_back(absl::ToDoubleMilliseconds(moments[k + 1] - moments[k]));
    }
    if (csv != nullptr) {
      std::fprintf(csv, "%.1f,%.2f", absl::ToDoubleMilliseconds(x.sent - samples.front().sent),
                   absl::ToDoubleMilliseconds(x.read - x.sent));
      for (int k = 0; k < kStages; ++k) {
        std::fprintf(csv, ",%.2f", stage_ms[k].back());
      }
      std::fprintf(csv, "\n");
    }
  }
  if (csv != nullptr) {
    std::fclose(csv);
  }
  relay.Stop(absl::Seconds(5));
  warnings->close();
  producer.Stop();
  std::string stages;
  for (int k = 0; k < kStages; ++k) {
    absl::StrAppend(&stages, k > 0 ? "," : "",
                    absl::StrFormat("\"%s\":{\"n\":%d,\"p50_ms\":%.1f,\"p99_ms\":%.1f}",
                                    kStageNames[k], stage_ms[k].size(),
                                    Percentile(stage_ms[k], 0.5), Percentile(stage_ms[k], 0.99)));
  }
  std::printf(
      "{\"target\":\"warning_latency\",\"events\":%d,\"received\":%zu,\"p50_ms\":%.1f,"
      "\"p99_ms\":%.1f,\"raw_received\":%zu,\"raw_p50_ms\":%.1f,\"raw_p99_ms\":%.1f,"
      "\"stages\":{%s}}\n",
      m, engine_ms.size(), Percentile(engine_ms, 0.5), Percentile(engine_ms, 0.99), raw_ms.size(),
      Percentile(raw_ms, 0.5), Percentile(raw_ms, 0.99), stages.c_str());
  return all_processed && static_cast<int>(engine_ms.size()) == m ? 0 : 1;
}
