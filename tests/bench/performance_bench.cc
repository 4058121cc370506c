// Performance-service replay benchmark (make bench): the demo history — one
// closing event per demo opportunity (~20,000: won, lost, or still open) and
// every payment (~5,400, a few refunded, a few contracts cancelled) — is
// produced to a topic once, then consumed twice on the same broker and Redis:
//   baseline: a bare effectively-once apply (ProjectionStore::ApplyOnce of one
//             counter increment per event, as attainment_bench measures it);
//   replay:   the performance service's credit projection (effectively once,
//             batched) and its Recomputer turning the inputs into every rep's
//             statements (the commission engine along each rep's quarters)
//             and every scorecard, until nothing is left to recompute.
// Prints one JSON line: events/s of each and their ratio (bar ≥ 0.5), with the
// statements and scorecards made. Uses the demo commission plan and KPIs
// (tools/demo/performance_demo_config.h). Talks to the given Redis (flushed)
// and broker only; stops by itself.
#include <atomic>
#include <cstdio>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/kafka/admin.h"
#include "common/kafka/consumer.h"
#include "common/kafka/producer.h"
#include "common/projection/projection_store.h"
#include "common/time/clock.h"
#include "common/time/proto_time.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "services/performance/api/performance_api.h"
#include "services/performance/api/recompute.h"
#include "services/performance/events/credit_projection.h"
#include "services/performance/store/org_view.h"
#include "services/performance/store/redis_performance_repository.h"
#include "tests/bench/bench_backends.h"
#include "tools/demo/demo_dataset.h"
#include "tools/demo/performance_demo_config.h"

ABSL_FLAG(std::string, redis_addr, "127.0.0.1:6380", "a Redis used by this benchmark only");
ABSL_FLAG(std::string, kafka_bootstrap, "127.0.0.1:9092", "Kafka");
ABSL_FLAG(double, scale, 1.0, "fraction of the demo history (1.0 = 20,000 opportunities)");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(900), "give up after");
ABSL_FLAG(absl::Duration, recompute_interval, absl::Milliseconds(200),
          "the recompute job's interval (--performance_recompute_interval)");
ABSL_FLAG(bool, recompute_while_consuming, true,
          "run the recompute job alongside the consumer (as the service does)");

namespace salesops::performance {
namespace {

namespace cv1 = salesops::customers::v1;
using demo::Stage;

salesops::common::v1::Money Cny(int64_t minor) {
  salesops::common::v1::Money m;
  m.set_amount_minor(minor);
  m.set_currency_code("CNY");
  return m;
}

salesops::common::v1::Date DateOf(const demo::Date& d) {
  salesops::common::v1::Date out;
  out.set_year(d.year);
  out.set_month(d.month);
  out.set_day(d.day);
  return out;
}

// The history as the customers service publishes it (keys = customer ids).
std::vector<CloudEvent> History(const demo::Dataset& data, int* deals, int* payments) {
  std::vector<CloudEvent> out;
  const std::string source = "/salesops/customers";
  int paid_seen = 0;
  for (size_t i = 0; i < data.opportunities.size(); ++i) {
    const demo::OpportunitySpec& o = data.opportunities[i];
    const demo::CustomerSpec& c = data.customers[static_cast<size_t>(o.customer)];
    const std::string opp = "opportunities/" + o.id;
    const std::string owner = "members/" + o.owner_id;
    const std::string team = "orgUnits/" + c.team_id;
    const std::string region = "orgUnits/" + c.region_id;
    const std::string pl = "orgUnits/" + o.product_line_id;
    const Stage stage = o.FinalStage();
    ++*deals;
    if (stage == Stage::kWon) {
      cv1::OpportunityWon w;
      w.set_opportunity(opp);
      w.set_customer("customers/" + c.id);
      w.set_owner(owner);
      w.set_team(team);
      w.set_region(region);
      w.set_product_line(pl);
      w.set_channel(o.channel);
      w.set_customer_type(c.customer_type);
      *w.mutable_amount() = Cny(o.FinalAmountMinor());
      if (o.has_contract) {
        w.set_contract("contracts/" + o.contract.id);
      }
      *w.mutable_won_date() = DateOf(demo::ChinaDate(o.CloseTime()));
      *w.mutable_close_time() = ToTs(o.CloseTime());
      out.push_back(MakeCloudEvent(source, c.id, opp, w, o.CloseTime()));
    } else if (stage == Stage::kLost) {
      cv1::OpportunityLost l;
      l.set_opportunity(opp);
      l.set_owner(owner);
      l.set_team(team);
      l.set_product_line(pl);
      *l.mutable_amount() = Cny(o.FinalAmountMinor());
      *l.mutable_close_time() = ToTs(o.CloseTime());
      out.push_back(MakeCloudEvent(source, c.id, opp, l, o.CloseTime()));
    } else {
      cv1::OpportunityCreated n;
      n.set_opportunity(opp);
      n.set_customer("customers/" + c.id);
      n.set_owner(owner);
      n.set_team(team);
      n.set_product_line(pl);
      *n.mutable_amount() = Cny(o.FinalAmountMinor());
      *n.mutable_expected_close_date() = DateOf(o.expected_close_date);
      out.push_back(MakeCloudEvent(source, c.id, opp, n, o.create_time));
    }
    if (!o.has_contract) {
      continue;
    }
    const demo::ContractSpec& k = o.contract;
    for (const demo::InstalmentSpec& inst : k.instalments) {
      if (!inst.paid) {
        continue;
      }
      ++*payments;
      cv1::PaymentReceived p;
      p.set_contract("contracts/" + k.id);
      p.set_customer("customers/" + c.id);
      p.set_opportunity(opp);
      p.set_payment_id(absl::StrCat(k.id, "-", inst.instalment_id));
      p.set_instalment_id(inst.instalment_id);
      *p.mutable_amount() = Cny(inst.amount_minor);
      *p.mutable_received_date() = DateOf(inst.received_date);
      p.set_instalment_state(cv1::INSTALMENT_STATE_RECEIVED);
      p.set_owner(owner);
      p.set_team(team);
      p.set_product_line(pl);
      out.push_back(MakeCloudEvent(source, c.id, p.contract(), p, o.CloseTime()));
      // Every 40th payment is half refunded the same day: clawbacks and reversals.
      if (++paid_seen % 40 == 0) {
        cv1::PaymentRefunded r;
        r.set_contract(p.contract());
        r.set_opportunity(opp);
        r.set_payment_id(p.payment_id());
        *r.mutable_amount() = Cny(inst.amount_minor / 2);
        *r.mutable_refund_date() = p.received_date();
        r.set_owner(owner);
        r.set_team(team);
        r.set_product_line(pl);
        out.push_back(MakeCloudEvent(source, c.id, p.contract(), r, o.CloseTime()));
      }
    }
  }
  return out;
}

class BaselineHandler final : public EventHandler {
 public:
  explicit BaselineHandler(ProjectionStore& seen) : seen_(seen) {}
  absl::Status Handle(const CloudEvent& e) override {
    WriteBatch b;
    b.HIncrBy(PerfKey("base:count"), "n", 1);
    return seen_.ApplyOnce(e, std::move(b)).status();
  }

 private:
  ProjectionStore& seen_;
};

ConsumerOptions Group(const std::string& bootstrap, const std::string& group,
                      const std::string& topic, const std::string& dlq) {
  ConsumerOptions o;
  o.bootstrap = bootstrap;
  o.sasl = bench::KafkaAuth();
  o.group_id = group;
  o.topics = {topic};
  o.topic_owners = {{topic, "customers"}};
  o.dlq_topic = dlq;
  return o;
}

int64_t Count(RedisClient& redis, const std::string& index) {
  auto v = redis.Command({"ZCARD", RedisPerformanceRepository::IndexKey(index)});
  return v.ok() ? v->integer : -1;
}

int Run() {
  const std::string bootstrap = absl::GetFlag(FLAGS_kafka_bootstrap);
  const std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  const std::string topic = "salesops.bench.performance-in." + run;
  const std::string dlq = topic + ".dlq";
  if (absl::Status s =
          EnsureTopics(bootstrap, {{topic, 3}, {dlq, 1}}, absl::Seconds(10), bench::KafkaAuth());
      !s.ok()) {
    std::fprintf(stderr, "topics: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  RedisOptions ro;
  SplitHostPort(absl::GetFlag(FLAGS_redis_addr), &ro.host, &ro.port);
  ro.pool_size = 8;
  bench::ApplyRedisAuth(&ro);
  RedisClient redis(ro);
  (void)redis.Command({"FLUSHALL"});
  TransactionalOutbox outbox(redis, PerfKey("outbox"));
  RedisPerformanceRepository repo(redis, outbox);

  // The demo organisation as the service's directory would know it.
  const demo::DemoOrg& org = demo::DemoOrganisation();
  InMemoryOrgView org_view;
  org_view.AddUnit(org.company.id, "");
  int reps = 0;
  for (const demo::DemoRegion& r : org.regions) {
    org_view.AddUnit(r.id, org.company.id);
    for (const demo::DemoTeam& t : r.teams) {
      org_view.AddUnit(t.id, r.id);
      org_view.AddMember(t.supervisor_id, t.id, Role::kSupervisor);
      for (const std::string& rep : t.rep_ids) {
        org_view.AddMember(rep, t.id, Role::kRep);
        ++reps;
      }
    }
  }
  SystemClock clock;
  PerformanceOptions options;
  Recomputer recomputer(repo, org_view, clock, options);
  PerformanceApi api(repo, org_view, recomputer, clock);
  const CallContext admin{{"bench", Role::kAdmin, ""}, "", "bench"};
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), options.tz);
  {
    v1::CreateCommissionPlanResponse plan;
    v1::ActivateCommissionPlanResponse active;
    v1::ActivateCommissionPlanRequest act;
    act.set_name(absl::StrCat("commissionPlans/", demo::kDemoPlanId));
    absl::Status s = api.CreateCommissionPlan(admin, demo::DemoPlan(today), &plan);
    if (s.ok()) {
      s = api.ActivateCommissionPlan(admin, act, &active);
    }
    for (const auto& k : demo::DemoKpis()) {
      v1::CreateKpiDefinitionResponse kpi;
      if (s.ok()) {
        s = api.CreateKpiDefinition(admin, k, &kpi);
      }
    }
    if (!s.ok()) {
      std::fprintf(stderr, "set-up: %s\n", s.ToString().c_str());
      return 1;
    }
  }

  // The history, produced once.
  const demo::Dataset data = demo::GenerateDataset(
      org, {.seed = demo::kDemoSeed, .scale = absl::GetFlag(FLAGS_scale), .now = absl::Now()});
  int deals = 0, payments = 0;
  const std::vector<CloudEvent> events = History(data, &deals, &payments);
  const int n = static_cast<int>(events.size());
  ProducerOptions po;
  po.bootstrap = bootstrap;
  po.sasl = bench::KafkaAuth();
  po.client_id = "bench-performance";
  KafkaProducer producer(po);
  if (!producer.Start().ok()) {
    return 1;
  }
  for (const CloudEvent& e : events) {
    (void)producer.Produce(topic, e.key, e.data, ToKafkaHeaders(e), [](absl::Status) {});
  }
  if (!producer.Flush(absl::Seconds(120)).ok()) {
    std::fprintf(stderr, "produce did not finish\n");
    return 1;
  }
  const absl::Time deadline = absl::Now() + absl::GetFlag(FLAGS_timeout);

  // Baseline: the bare effectively-once apply of the same records.
  ProjectionStore base_seen(outbox, PerfKey("base:seen:"));
  BaselineHandler base(base_seen);
  absl::Time t0 = absl::Now();
  double base_s = -1;
  {
    KafkaEventConsumer c(Group(bootstrap, "bench-perf-base-" + run, topic, dlq), base, producer);
    if (!c.Start().ok()) {
      return 1;
    }
    while (c.stats().processed.load() < n && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    if (c.stats().processed.load() >= n) {
      base_s = absl::ToDoubleSeconds(absl::Now() - t0);
    }
    c.Stop();
  }

  // Replay: the projection, and the recomputer as the service's job runs it.
  CreditProjection projection(repo, options);
  std::atomic<bool> consumed{false}, done{false};
  std::atomic<int64_t> recomputed{0};
  t0 = absl::Now();
  // The service's job: a pass over the work list every interval (debounced).
  const absl::Duration interval = absl::GetFlag(FLAGS_recompute_interval);
  std::thread job([&] {
    while (!done.load() && absl::Now() < deadline) {
      const absl::Time pass = absl::Now();
      if (absl::GetFlag(FLAGS_recompute_while_consuming) || consumed.load()) {
        absl::StatusOr<int> ran = recomputer.RunPending(absl::Seconds(2), /*debounce=*/true);
        if (ran.ok()) {
          recomputed += *ran;
        }
        if (ran.ok() && *ran == 0 && consumed.load() && Count(redis, kWorkIndex) == 0) {
          done = true;
          break;
        }
      }
      absl::SleepFor(pass + interval - absl::Now());
    }
  });
  int64_t dead = 0;
  double consume_s = -1;
  {
    ConsumerOptions group = Group(bootstrap, "bench-perf-" + run, topic, dlq);
    group.max_batch = kCreditMaxBatch;  // as the service configures its credit consumer
    KafkaEventConsumer c(group, projection, producer);
    if (!c.Start().ok()) {
      return 1;
    }
    while (c.stats().processed.load() < n && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    consumed = c.stats().processed.load() >= n;
    consume_s = absl::ToDoubleSeconds(absl::Now() - t0);
    dead = c.stats().dead_lettered.load();
    c.Stop();
  }
  job.join();
  const double replay_s = done.load() ? absl::ToDoubleSeconds(absl::Now() - t0) : -1;
  producer.Stop();

  // Every demo rep got statements and a scorecard.
  int reps_with_statements = 0;
  for (const demo::DemoRegion& r : org.regions) {
    for (const demo::DemoTeam& t : r.teams) {
      for (const std::string& rep : t.rep_ids) {
        reps_with_statements += Count(redis, MemberStatementsIndex(rep)) > 0;
      }
    }
  }
  const int64_t statements = Count(redis, kStatementsIndex);
  const int64_t cards = Count(redis, kScorecardsIndex);
  const bool ok = base_s > 0 && replay_s > 0 && dead == 0 && reps_with_statements == reps;
  std::printf(
      "{\"target\":\"performance_replay\",\"events\":%d,\"deals\":%d,\"payments\":%d,"
      "\"statements\":%lld,\"scorecards\":%lld,\"reps\":%d,\"reps_with_statements\":%d,"
      "\"recomputed\":%lld,\"dead_lettered\":%lld,\"consume_s\":%.2f,\"replay_s\":%.2f,\"events_"
      "per_s\":%.0f,"
      "\"baseline_s\":%.2f,\"baseline_events_per_s\":%.0f,\"replay_over_baseline\":%.2f,"
      "\"ok\":%s}\n",
      n, deals, payments, static_cast<long long>(statements), static_cast<long long>(cards), reps,
      reps_with_statements, static_cast<long long>(recomputed.load()), static_cast<long long>(dead),
      consume_s, replay_s, replay_s > 0 ? n / replay_s : -1.0, base_s,
      base_s > 0 ? n / base_s : -1.0, replay_s > 0 && base_s > 0 ? base_s / replay_s : 0.0,
      ok ? "true" : "false");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace salesops::performance

int main(int argc, char** argv) {
  salesops::ParseFlagsWithEnv(argc, argv, "Performance replay benchmark (make bench)");
  return salesops::performance::Run();
}
