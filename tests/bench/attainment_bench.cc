// Attainment throughput (issue #5): how many won-deal events per second the
// attainment projection applies (match against a published plan's cells,
// effectively-once commit with the AttainmentUpdated events), against a
// baseline measured in the same run: the bare effectively-once cost —
// ProjectionStore::ApplyOnce of one counter increment per event. Both run one
// event at a time and in batches of kAttainmentMaxBatch (8192) as the targets
// service's Kafka consumer hands them over when events queue up (the
// projection's HandleBatch waves; ApplyOnceMany for the baseline), on
// fresh events each time; attainment_over_baseline compares the batched pair:
// with --rounds, the best of that many interleaved rounds of each (all printed).
// The waves commit combined (ProjectionStore::TryApplyCombined: one script per
// chunk, increments of one field summed), so the bare apply is also measured
// that way: attainment_over_combined_baseline, the stricter comparison (its
// one increment per event collapses to one per chunk).
// Writes a plan straight into its own Redis: 4 product lines × 3 regions ×
// 3 channels × 3 customer types = 108 cells, then `--reps` rep cells. Prints
// one JSON line. With --kafka_bootstrap it also measures how soon a won deal
// published on Kafka shows in its rep's roll-up (the figure GetAttainment
// answers with), next to raw produce → consume of the same records on the same
// broker: a second JSON line. Talks to the given Redis and Kafka only; stops by
// itself.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/events/cloud_event.h"
#include "common/kafka/consumer.h"
#include "common/kafka/producer.h"
#include "common/projection/projection_store.h"
#include "common/time/clock.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "services/targets/events/attainment_projection.h"
#include "services/targets/store/plan_store.h"
#include "tests/bench/bench_backends.h"

ABSL_FLAG(std::string, redis_addr, "127.0.0.1:6380", "a Redis used by this benchmark only");
ABSL_FLAG(int, events, 20000, "won-deal events to apply");
ABSL_FLAG(int, reps, 1000, "rep cells in the plan");
ABSL_FLAG(std::string, kafka_bootstrap, "", "a broker for the latency phase (empty: skipped)");
ABSL_FLAG(int, latency_events, 200, "won deals published one by one in the latency phase");
ABSL_FLAG(int, rounds, 1,
          "interleaved rounds of the two batched phases (bare apply, attainment), each on "
          "fresh events; the ratio is the best round of each, as make bench's other bars");

namespace salesops::targets {
namespace {

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return -1;
  }
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// Won deals published one at a time on a customers-style topic, consumed by
// the projection in a consumer group: time until the rep's roll-up moved; then
// the same records produced and consumed raw on another topic.
template <typename MakeEvent>
int Latency(const std::string& bootstrap, RedisClient& redis, AttainmentProjection& projection,
            MakeEvent& event, int offset) {
  const int m = absl::GetFlag(FLAGS_latency_events);
  const std::string run = absl::StrCat(absl::ToUnixMicros(absl::Now()));
  const std::string topic = "salesops.customers.events.v1";
  ProducerOptions po;
  po.bootstrap = bootstrap;
  po.sasl = salesops::bench::KafkaAuth();
  po.linger = absl::ZeroDuration();
  KafkaProducer producer(po);
  if (!producer.Start().ok()) {
    return 1;
  }
  ConsumerOptions co;
  co.bootstrap = bootstrap;
  co.sasl = salesops::bench::KafkaAuth();
  co.group_id = "bench-rollup-latency-" + run;
  co.topics = {topic};
  co.dlq_topic = "salesops.targets-attainment.dlq.v1";
  co.extra = {{"auto.offset.reset", "latest"}, {"fetch.wait.max.ms", "5"}};
  KafkaEventConsumer consumer(co, projection, producer);
  if (!consumer.Start().ok()) {
    return 1;
  }
  // Joined and caught up before anything is timed.
  for (int i = 0; i < 200 && consumer.stats().caught_up.load() == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  auto rep_total = [&](const std::string& rep) {
    int64_t v = 0;
    auto r = redis.Command({"HGET", RollupKey("bench"), ActualField(RollupSubject::Rep(rep))});
    if (r.ok() && !r->is_nil()) {
      (void)absl::SimpleAtoi(r->str, &v);
    }
    return v;
  };
  std::vector<double> rollup_ms;
  for (int i = 0; i < m; ++i) {
    CloudEvent e = event(offset + i, "lat-" + run);
    salesops::customers::v1::OpportunityWon w;
    w.ParseFromString(e.data);
    const std::string rep = w.owner().substr(8);
    const int64_t before = rep_total(rep);
    const absl::Time t0 = absl::Now();
    (void)producer.Produce(topic, e.key, e.data, ToKafkaHeaders(e), [](absl::Status) {});
    while (rep_total(rep) == before && absl::Now() - t0 < absl::Seconds(10)) {
      std::this_thread::yield();
    }
    rollup_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
  }
  consumer.Stop();
  // Baseline: the same records, produced and consumed raw.
  std::vector<double> raw_ms;
  {
    std::string err;
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    conf->set("bootstrap.servers", bootstrap, err);
    salesops::bench::ApplyKafkaAuth(*conf);
    conf->set("group.id", "bench-rollup-raw-" + run, err);
    conf->set("auto.offset.reset", "latest", err);
    conf->set("fetch.wait.max.ms", "5", err);
    std::unique_ptr<RdKafka::KafkaConsumer> c(RdKafka::KafkaConsumer::create(conf.get(), err));
    c->subscribe({"salesops.targets.events.v1"});
    for (int i = 0; i < 40; ++i) {
      delete c->consume(100);  // joined before timing
    }
    for (int i = 0; i < m; ++i) {
      CloudEvent e = event(offset + m + i, "raw-" + run);
      const std::string key = absl::StrCat("raw-", run, "-", i);
      const absl::Time t0 = absl::Now();
      (void)producer.Produce("salesops.targets.events.v1", key, e.data, ToKafkaHeaders(e),
                             [](absl::Status) {});
      while (absl::Now() - t0 < absl::Seconds(10)) {
        std::unique_ptr<RdKafka::Message> msg(c->consume(20));
        if (msg->err() == RdKafka::ERR_NO_ERROR && msg->key() != nullptr && *msg->key() == key) {
          break;
        }
      }
      raw_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
    }
    c->close();
  }
  producer.Stop(absl::Seconds(5));
  std::printf(
      "{\"target\":\"rollup_latency\",\"events\":%d,\"p50_ms\":%.1f,\"p99_ms\":%.1f,"
      "\"max_ms\":%.1f,\"raw_p50_ms\":%.1f,\"raw_p99_ms\":%.1f}\n",
      m, Percentile(rollup_ms, 0.5), Percentile(rollup_ms, 0.99), Percentile(rollup_ms, 1.0),
      Percentile(raw_ms, 0.5), Percentile(raw_ms, 0.99));
  return 0;
}

int Run() {
  RedisOptions o;
  if (!SplitHostPort(absl::GetFlag(FLAGS_redis_addr), &o.host, &o.port)) {
    return 2;
  }
  salesops::bench::ApplyRedisAuth(&o);
  RedisClient redis(o);
  TransactionalOutbox outbox(redis, TgtKey("outbox"));
  TargetsStore store(redis, outbox);
  SystemClock clock;
  (void)redis.Command({"FLUSHALL"});
  const absl::TimeZone tz = absl::FixedTimeZone(8 * 3600);
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), tz);
  const int n_reps = absl::GetFlag(FLAGS_reps);
  const int n_events = absl::GetFlag(FLAGS_events);

  // A published plan for the current quarter.
  v1::FiscalPeriod period;
  period.set_name("fiscalPeriods/bench");
  const absl::CivilMonth first(today.year(), (today.month() - 1) / 3 * 3 + 1);
  auto date = [](absl::CivilDay d) {
    salesops::common::v1::Date out;
    out.set_year(static_cast<int>(d.year()));
    out.set_month(d.month());
    out.set_day(d.day());
    return out;
  };
  *period.mutable_start_date() = date(absl::CivilDay(first));
  *period.mutable_end_date() = date(absl::CivilDay(first + 3) - 1);
  v1::TargetPlan plan;
  plan.set_name("plans/bench");
  plan.set_period(period.name());
  plan.set_series("bench");
  plan.set_state(v1::PLAN_STATE_PUBLISHED);
  plan.set_attainment_basis(v1::ATTAINMENT_BASIS_BOOKING);
  plan.mutable_total()->set_currency_code("CNY");
  plan.mutable_total()->set_amount_minor(int64_t{1} << 40);
  std::vector<WriteBatch> batches(1);
  TargetsStore::PutDoc(batches[0], kPeriod, "bench", period, 0);
  TargetsStore::PutDoc(batches[0], kPlan, "bench", plan, 0);
  batches[0].ZAdd(TargetsStore::Index("plan:published"), 0, "bench");
  auto add_cell = [&](const std::string& key, v1::AllocationCell c) {
    c.set_name(CellName("bench", key));
    c.mutable_amount()->set_amount_minor(1'000'000);
    c.mutable_amount()->set_currency_code("CNY");
    for (int m = 0; m < 3; ++m) {
      auto* ma = c.add_monthly_amounts();
      ma->set_year(static_cast<int>((first + m).year()));
      ma->set_month((first + m).month());
      ma->mutable_amount()->set_amount_minor(333'333 + (m == 0));
    }
    WriteBatch b;
    TargetsStore::PutDoc(b, kCell, CellDocId("bench", key), c, 0);
    b.ZAdd(CellsIndex("bench"), 0, key);
    batches.push_back(std::move(b));
  };
  add_cell("root", {});
  const char* pls[] = {"pl-cloud", "pl-data", "pl-security", "pl-iot"};
  const char* regions[] = {"region-east", "region-south", "region-north"};
  const char* channels[] = {"direct", "partner", "online"};
  const char* ctypes[] = {"enterprise", "smb", "government"};
  for (const char* pl : pls) {
    for (const char* rg : regions) {
      for (const char* ch : channels) {
        for (const char* ct : ctypes) {
          v1::AllocationCell c;
          c.set_axis(v1::ALLOCATION_AXIS_CUSTOMER_TYPE);
          c.set_parent_cell(CellName("bench", "root"));
          c.mutable_dimensions()->set_product_line(absl::StrCat("orgUnits/", pl));
          c.mutable_dimensions()->set_region(absl::StrCat("orgUnits/", rg));
          c.mutable_dimensions()->set_channel(ch);
          c.mutable_dimensions()->set_customer_type(ct);
          add_cell(absl::StrCat(pl, ".", rg, ".", ch, ".", ct), c);
        }
      }
    }
  }
  for (int r = 0; r < n_reps; ++r) {
    v1::AllocationCell c;
    c.set_axis(v1::ALLOCATION_AXIS_REP);
    c.set_parent_cell(CellName("bench", "root"));
    c.set_org_unit(absl::StrCat("orgUnits/team-", r % 12));
    c.set_member(absl::StrCat("members/rep-", r));
    add_cell(absl::StrCat("rp-", r), c);
  }
  for (auto& r : outbox.CommitMany(batches)) {
    if (!r.ok() || !r->committed) {
      std::fprintf(stderr, "set-up failed\n");
      return 1;
    }
  }

  auto event = [&](int i, const std::string& run) {
    salesops::customers::v1::OpportunityWon w;
    const int rep = i % n_reps;
    w.set_opportunity(absl::StrCat("opportunities/o-", run, "-", i));
    w.set_owner(absl::StrCat("members/rep-", rep));
    w.set_team(absl::StrCat("orgUnits/team-", rep % 12));
    w.set_region(absl::StrCat("orgUnits/", regions[i % 3]));
    w.set_product_line(absl::StrCat("orgUnits/", pls[i % 4]));
    w.set_channel(channels[(i / 4) % 3]);
    w.set_customer_type(ctypes[(i / 12) % 3]);
    w.mutable_amount()->set_amount_minor(10'000 + i);
    w.mutable_amount()->set_currency_code("CNY");
    *w.mutable_won_date() = date(today);
    return MakeCloudEvent("/salesops/customers", absl::StrCat("c-", i), w.opportunity(), w,
                          absl::Now());
  };

  // Each measured two ways, on fresh events each time: one event at a time,
  // and in batches of kBatch as the targets service's Kafka consumer hands
  // them over (HandleBatch: waves; the baseline: ApplyOnceMany).
  constexpr int kBatch = kAttainmentMaxBatch;
  // The events of step i: one, or the next batch.
  auto step = [&](int i, bool batched, const std::string& run) {
    const int n = batched ? std::min(kBatch, n_events - i) : 1;
    std::vector<CloudEvent> events;
    for (int k = 0; k < n; ++k) {
      events.push_back(event(i + k, run));
    }
    return events;
  };
  // Baseline: one counter increment per event, applied once.
  ProjectionStore base_seen(outbox, TgtKey("base:seen:"));
  // mode 0: one at a time; 1: batches as per-event scripts in one pipeline
  // (ApplyOnceMany); 2: batches as combined scripts (TryApplyCombined, the
  // commit the projection's waves use: the batch's increments summed).
  auto baseline = [&](const std::string& run, int mode) -> double {
    const bool batched = mode != 0;
    const absl::Time t0 = absl::Now();
    for (int i = 0; i < n_events; i += batched ? kBatch : 1) {
      const std::vector<CloudEvent> events = step(i, batched, run);
      std::vector<std::pair<const CloudEvent*, WriteBatch>> items;
      for (const CloudEvent& e : events) {
        WriteBatch b;
        b.HIncrBy(TgtKey("base:count"), "n", 1);
        items.emplace_back(&e, std::move(b));
      }
      if (!batched) {
        if (!base_seen.ApplyOnce(*items[0].first, std::move(items[0].second)).ok()) {
          return -1;
        }
        continue;
      }
      if (mode == 2) {
        for (const auto& r : base_seen.TryApplyCombined(std::move(items))) {
          if (!r.ok() || !r->committed) {
            return -1;
          }
        }
        continue;
      }
      for (const auto& r : base_seen.ApplyOnceMany(std::move(items))) {
        if (!r.ok()) {
          return -1;
        }
      }
    }
    return absl::ToDoubleSeconds(absl::Now() - t0);
  };

  ProjectionStore seen(outbox, TgtKey("att:seen:"));
  org::OrgDirectory directory(redis, kKeyPrefix);
  PlanModelCache models(store, directory);
  AttainmentProjection projection(seen, store, models, clock, tz);
  auto attainment = [&](const std::string& run, bool batched) -> double {
    const absl::Time t0 = absl::Now();
    for (int i = 0; i < n_events; i += batched ? kBatch : 1) {
      const std::vector<CloudEvent> events = step(i, batched, run);
      if (!batched) {
        absl::Status s = projection.Handle(events[0]);
        if (!s.ok()) {
          std::fprintf(stderr, "handle: %s\n", std::string(s.message()).c_str());
          return -1;
        }
        continue;
      }
      std::vector<const CloudEvent*> ptrs;
      for (const CloudEvent& e : events) {
        ptrs.push_back(&e);
      }
      for (const absl::Status& s : projection.HandleBatch(ptrs)) {
        if (!s.ok()) {
          std::fprintf(stderr, "handle batch: %s\n", std::string(s.message()).c_str());
          return -1;
        }
      }
    }
    return absl::ToDoubleSeconds(absl::Now() - t0);
  };
  // CPU per event of a phase, this process' and Redis', so a ratio's cause shows.
  struct Cpu {
    double client_us = -1;
    double redis_us = -1;
    std::string calls = "{}";  // Redis calls per event, by command
    std::string usec = "{}";   // microseconds inside Redis per event, by command
  };
  auto measured = [&](Cpu& cpu, auto phase) {
    const double client0 = salesops::bench::ProcessCpuSeconds();
    const double redis0 = salesops::bench::RedisCpuSeconds(redis);
    const auto stats0 = salesops::bench::RedisCommandStats(redis);
    const double s = phase();
    const auto stats1 = salesops::bench::RedisCommandStats(redis);
    cpu.calls = salesops::bench::PerEventJson(stats0, stats1, n_events, /*usec=*/false);
    cpu.usec = salesops::bench::PerEventJson(stats0, stats1, n_events, /*usec=*/true);
    const double redis1 = salesops::bench::RedisCpuSeconds(redis);
    cpu.client_us = (salesops::bench::ProcessCpuSeconds() - client0) * 1e6 / n_events;
    if (redis0 >= 0 && redis1 >= 0) {
      cpu.redis_us = (redis1 - redis0) * 1e6 / n_events;
    }
    return s;
  };
  Cpu base_cpu, att_cpu;
  // The waves' time by step (AttainmentBatchStats), ms over a round.
  struct Steps {
    double read = 0, build = 0, commit_wait = 0;
  };
  auto steps_now = [&projection] {
    const AttainmentBatchStats& st = projection.batch_stats();
    return Steps{st.read_ns.load() / 1e6, st.build_ns.load() / 1e6, st.commit_wait_ns.load() / 1e6};
  };
  Steps att_steps;
  const double base_s = baseline("base", 0);
  const double att_one_s = attainment("att", false);
  const double base_combined_s = baseline("base-combined", 2);
  // The batched pair, interleaved: each phase's best round (and its CPU)
  // counts; every round is printed.
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  double base_batched_s = -1, att_s = -1;
  std::vector<double> base_rounds, att_rounds;
  for (int r = 0; r < rounds; ++r) {
    Cpu b, a;
    const double bs = measured(b, [&] { return baseline(absl::StrCat("base-batched-", r), 1); });
    const Steps steps0 = steps_now();
    const double as =
        measured(a, [&] { return attainment(absl::StrCat("att-batched-", r), true); });
    const Steps steps1 = steps_now();
    if (bs < 0 || as < 0) {
      return 1;
    }
    base_rounds.push_back(n_events / bs);
    att_rounds.push_back(n_events / as);
    if (base_batched_s < 0 || bs < base_batched_s) {
      base_batched_s = bs;
      base_cpu = b;
    }
    if (att_s < 0 || as < att_s) {
      att_s = as;
      att_cpu = a;
      att_steps = {steps1.read - steps0.read, steps1.build - steps0.build,
                   steps1.commit_wait - steps0.commit_wait};
    }
  }
  if (base_s < 0 || att_one_s < 0 || base_combined_s < 0) {
    return 1;
  }
  auto list = [](const std::vector<double>& v) {
    std::string out;
    for (double x : v) {
      absl::StrAppend(&out, out.empty() ? "" : ",", static_cast<long long>(x));
    }
    return absl::StrCat("[", out, "]");
  };
  // Every event landed on root, one 4-dimension cell and one rep cell: once
  // one at a time, then once per batched round.
  auto root = redis.Command({"HGET", RollupKey("bench"), CellField("root")});
  int64_t expected_root = 0;
  for (int i = 0; i < n_events; ++i) {
    expected_root += (1 + rounds) * (10'000 + i);
  }
  int64_t got_root = 0;
  if (root.ok() && !root->is_nil()) {
    (void)absl::SimpleAtoi(root->str, &got_root);
  }
  std::printf(
      "{\"target\":\"attainment\",\"events\":%d,\"cells\":%d,\"batch\":%d,\"attainment_s\":%.2f,"
      "\"events_per_s\":%.0f,\"one_by_one_events_per_s\":%.0f,\"baseline_s\":%.2f,"
      "\"baseline_events_per_s\":%.0f,\"baseline_batched_events_per_s\":%.0f,"
      "\"attainment_over_baseline\":%.2f,\"one_by_one_over_baseline\":%.2f,"
      "\"batched_over_one_by_one_baseline\":%.2f,\"baseline_combined_events_per_s\":%.0f,"
      "\"attainment_over_combined_baseline\":%.3f,\"waves\":%lld,\"in_waves\":%lld,"
      "\"alone\":%lld,\"client_cpu_us_per_event\":%.1f,\"redis_cpu_us_per_event\":%.1f,"
      "\"baseline_client_cpu_us_per_event\":%.1f,\"baseline_redis_cpu_us_per_event\":%.1f,"
      "\"redis_calls_per_event\":%s,\"baseline_redis_calls_per_event\":%s,"
      "\"redis_usec_per_event\":%s,\"baseline_redis_usec_per_event\":%s,"
      "\"rounds\":%d,\"batched_rounds_events_per_s\":%s,"
      "\"baseline_batched_rounds_events_per_s\":%s,\"wave_ms\":{\"read\":%.1f,\"build\":%.1f,"
      "\"commit_wait\":%.1f},\"root_actual_ok\":%s}\n",
      n_events, 1 + 108 + n_reps, kBatch, att_s, n_events / att_s, n_events / att_one_s, base_s,
      n_events / base_s, n_events / base_batched_s, base_batched_s / att_s, base_s / att_one_s,
      base_s / att_s, n_events / base_combined_s, base_combined_s / att_s,
      static_cast<long long>(projection.batch_stats().waves.load()),
      static_cast<long long>(projection.batch_stats().in_waves.load()),
      static_cast<long long>(projection.batch_stats().alone.load()), att_cpu.client_us,
      att_cpu.redis_us, base_cpu.client_us, base_cpu.redis_us, att_cpu.calls.c_str(),
      base_cpu.calls.c_str(), att_cpu.usec.c_str(), base_cpu.usec.c_str(), rounds,
      list(att_rounds).c_str(), list(base_rounds).c_str(), att_steps.read, att_steps.build,
      att_steps.commit_wait, got_root == expected_root ? "true" : "false");
  if (got_root != expected_root) {
    return 1;
  }
  const std::string bootstrap = absl::GetFlag(FLAGS_kafka_bootstrap);
  return bootstrap.empty() ? 0 : Latency(bootstrap, redis, projection, event, n_events);
}

}  // namespace
}  // namespace salesops::targets

int main(int argc, char** argv) {
  salesops::ParseFlagsWithEnv(argc, argv, "Attainment benchmark (make bench)");
  return salesops::targets::Run();
}
