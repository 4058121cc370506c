// Event pipeline throughput against a real Redis and Kafka, as a ratio to raw
// librdkafka in the same run with messages of the same size:
//   raw:      KafkaProducer (idempotent, acks=all) → topic → a plain librdkafka
//             consumer counting records;
//   pipeline: TransactionalOutbox::Commit (aggregate + outbox entry, one Lua
//             script) → OutboxRelay → Kafka → KafkaEventConsumer →
//             ProjectionStore::ApplyOnce (event id + projection, one script).
// Each phase is timed from its first write to its last record consumed.
// Prints one JSON line per phase and the ratio.
//
//   pipeline_bench --redis_addr=127.0.0.1:P --kafka_bootstrap=127.0.0.1:P --events=20000
#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/kafka/admin.h"
#include "common/kafka/consumer.h"
#include "common/kafka/producer.h"
#include "common/outbox/relay.h"
#include "common/outbox/write_batch.h"
#include "common/projection/projection_store.h"
#include "salesops/org/v1/org_events.pb.h"
#include "tests/bench/bench_backends.h"

ABSL_FLAG(std::string, redis_addr, "127.0.0.1:6380", "Redis");
ABSL_FLAG(std::string, kafka_bootstrap, "127.0.0.1:9092", "Kafka");
ABSL_FLAG(int, events, 20000, "events per phase");
ABSL_FLAG(int, writers, 4, "threads committing outbox batches");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(180), "give up after");

namespace {

using namespace salesops;

// A MemberJoined like the org service emits: the realistic event size.
CloudEvent SampleEvent(int i, const std::string& run) {
  salesops::org::v1::MemberJoined e;
  auto* m = e.mutable_member();
  m->set_name(absl::StrCat("members/bench-", run, "-", i));
  m->set_display_name("张伟");
  m->set_email(absl::StrCat("bench-", run, "-", i, "@example.com"));
  m->set_role(salesops::org::v1::ROLE_REP);
  m->set_department(salesops::org::v1::DEPARTMENT_SALES);
  m->set_org_unit("orgUnits/team-east-1");
  m->set_etag("1");
  e.mutable_actor()->set_member_id("bench");
  e.mutable_actor()->set_role("admin");
  return MakeCloudEvent("/salesops/org", absl::StrCat("bench-", run, "-", i), m->name(), e,
                        absl::Now(), "0123456789abcdef0123456789abcdef");
}

ProducerOptions Producer(const std::string& bootstrap, const std::string& client_id) {
  ProducerOptions o;
  o.bootstrap = bootstrap;
  o.sasl = salesops::bench::KafkaAuth();
  o.client_id = client_id;
  return o;
}

RedisOptions Redis() {
  RedisOptions o;
  SplitHostPort(absl::GetFlag(FLAGS_redis_addr), &o.host, &o.port);
  o.pool_size = absl::GetFlag(FLAGS_writers) + 4;
  salesops::bench::ApplyRedisAuth(&o);
  return o;
}

double RawPhase(const std::string& bootstrap, const std::string& topic, int n,
                const std::string& run, size_t* bytes) {
  KafkaProducer producer(Producer(bootstrap, "bench-raw"));
  if (!producer.Start().ok()) {
    return -1;
  }
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", bootstrap, err);
  salesops::bench::ApplyKafkaAuth(*conf);
  conf->set("group.id", "bench-raw-" + run, err);
  conf->set("auto.offset.reset", "earliest", err);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  consumer->subscribe({topic});
  // Join the group before timing.
  for (int i = 0; i < 50; ++i) {
    delete consumer->consume(100);
  }
  std::vector<CloudEvent> events;
  for (int i = 0; i < n; ++i) {
    events.push_back(SampleEvent(i, run));
  }
  *bytes = events[0].data.size();
  const absl::Time start = absl::Now();
  std::thread writer([&] {
    for (const auto& e : events) {
      (void)producer.Produce(topic, e.key, e.data, ToKafkaHeaders(e), [](absl::Status) {});
    }
  });
  int seen = 0;
  const absl::Time deadline = start + absl::GetFlag(FLAGS_timeout);
  while (seen < n && absl::Now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(100));
    if (m->err() == RdKafka::ERR_NO_ERROR) {
      ++seen;
    }
  }
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  writer.join();
  consumer->close();
  producer.Stop();
  return seen == n ? n / secs : -1;
}

class CountingProjection final : public EventHandler {
 public:
  CountingProjection(ProjectionStore& store, std::string key) : store_(store), key_(key) {}
  absl::Status Handle(const CloudEvent& e) override {
    WriteBatch b;
    b.HIncrBy(key_, "applied", 1);
    auto r = store_.ApplyOnce(e, std::move(b));
    if (r.ok()) {
      ++handled;
    }
    return r.status();
  }
  std::vector<absl::Status> HandleBatch(const std::vector<const CloudEvent*>& events) override {
    std::vector<std::pair<const CloudEvent*, WriteBatch>> items;
    for (const CloudEvent* e : events) {
      WriteBatch b;
      b.HIncrBy(key_, "applied", 1);
      items.emplace_back(e, std::move(b));
    }
    std::vector<absl::Status> out;
    for (auto& r : store_.ApplyOnceMany(std::move(items))) {
      if (r.ok()) {
        ++handled;
      }
      out.push_back(r.status());
    }
    return out;
  }
  std::atomic<int64_t> handled{0};

 private:
  ProjectionStore& store_;
  std::string key_;
};

struct PipelineStages {
  double committed_s = 0, relayed_s = 0, applied_s = 0;
};

double PipelinePhase(const std::string& bootstrap, const std::string& topic, int n,
                     const std::string& run, PipelineStages* stages) {
  RedisClient redis(Redis());
  const std::string tag = absl::StrCat("{bench-", run, "}");
  TransactionalOutbox outbox(redis, absl::StrCat("bench:", tag, ":outbox"));
  KafkaProducer producer(Producer(bootstrap, "bench-pipeline"));
  if (!producer.Start().ok()) {
    return -1;
  }
  RelayOptions relay_options;
  relay_options.stream_key = outbox.stream_key();
  OutboxRelay relay(redis, producer, relay_options);
  ProjectionStore store(outbox, absl::StrCat("bench:", tag, ":seen:"));
  CountingProjection handler(store, absl::StrCat("bench:", tag, ":projection"));
  ConsumerOptions group;
  group.bootstrap = bootstrap;
  group.sasl = salesops::bench::KafkaAuth();
  group.group_id = "bench-pipeline-" + run;
  group.topics = {topic};
  group.topic_owners = {{topic, "org"}};  // the events are the org service's MemberJoined
  group.dlq_topic = topic + ".dlq";
  KafkaEventConsumer consumer(group, handler, producer);
  (void)consumer.Start();
  relay.Start();
  absl::SleepFor(absl::Seconds(5));  // group join before timing
  std::vector<CloudEvent> events;
  for (int i = 0; i < n; ++i) {
    events.push_back(SampleEvent(i, run));
  }
  const absl::Time start = absl::Now();
  const int writers = absl::GetFlag(FLAGS_writers);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      for (int i = w; i < n; i += writers) {
        WriteBatch b;
        b.HSet(absl::StrCat("bench:", tag, ":agg:", i), {{"v", "1"}});
        b.Emit(events[i], topic);
        auto r = outbox.Commit(b);
        if (!r.ok() || !r->committed) {
          ++failures;
        }
      }
    });
  }
  const absl::Time deadline = start + absl::GetFlag(FLAGS_timeout);
  // When each stage had seen every event: committed (writers done), handed to
  // Kafka and confirmed (relay), applied (consumer). The slowest stage is the
  // one whose time is close to the total.
  std::atomic<int> writers_done{0};
  absl::Time committed_at = absl::InfinitePast(), relayed_at = absl::InfinitePast();
  std::thread joiner([&] {
    for (auto& t : threads) {
      t.join();
    }
    writers_done = 1;
  });
  while (handler.handled.load() < n && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(2));
    if (committed_at == absl::InfinitePast() && writers_done.load() == 1) {
      committed_at = absl::Now();
    }
    if (relayed_at == absl::InfinitePast() && relay.stats().published.load() >= n) {
      relayed_at = absl::Now();
    }
  }
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  joiner.join();
  if (committed_at == absl::InfinitePast()) {
    committed_at = absl::Now();
  }
  if (relayed_at == absl::InfinitePast()) {
    relayed_at = absl::Now();
  }
  stages->committed_s = absl::ToDoubleSeconds(committed_at - start);
  stages->relayed_s = absl::ToDoubleSeconds(relayed_at - start);
  stages->applied_s = secs;
  const bool done = handler.handled.load() == n && failures.load() == 0;
  consumer.Stop();
  relay.Stop();
  producer.Stop();
  return done ? n / secs : -1;
}

}  // namespace

int main(int argc, char** argv) {
  salesops::ParseFlagsWithEnv(argc, argv, "Event pipeline benchmark (make bench)");
  const std::string bootstrap = absl::GetFlag(FLAGS_kafka_bootstrap);
  const int n = absl::GetFlag(FLAGS_events);
  const std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  const std::string raw_topic = "salesops.bench.raw." + run;
  const std::string pipe_topic = "salesops.bench.pipeline." + run;
  if (absl::Status s =
          EnsureTopics(bootstrap, {{raw_topic, 3}, {pipe_topic, 3}, {pipe_topic + ".dlq", 1}},
                       absl::Seconds(10), salesops::bench::KafkaAuth());
      !s.ok()) {
    std::fprintf(stderr, "topics: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  size_t bytes = 0;
  const double raw = RawPhase(bootstrap, raw_topic, n, run, &bytes);
  PipelineStages stages;
  const double pipeline = PipelinePhase(bootstrap, pipe_topic, n, run, &stages);
  std::printf(
      "{\"target\":\"kafka_raw\",\"events\":%d,\"event_bytes\":%zu,\"events_per_s\":%.0f}\n", n,
      bytes, raw);
  std::printf(
      "{\"target\":\"outbox_pipeline\",\"events\":%d,\"event_bytes\":%zu,\"events_per_s\":%.0f,"
      "\"stages_s\":{\"committed\":%.2f,\"relayed\":%.2f,\"applied\":%.2f}}\n",
      n, bytes, pipeline, stages.committed_s, stages.relayed_s, stages.applied_s);
  std::printf("{\"target\":\"pipeline_over_raw\",\"ratio\":%.3f}\n",
              raw > 0 && pipeline > 0 ? pipeline / raw : 0.0);
  return raw > 0 && pipeline > 0 ? 0 : 1;
}
