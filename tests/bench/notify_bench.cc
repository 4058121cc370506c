// Group notifications against a real Redis and Kafka and a local HTTP server
// playing the WeCom robots (tests' FakeGroupRobot: it parses every message),
// next to raw librdkafka on the same broker in the same run:
//   throughput: N WarningRaised events already on a topic, about teams with
//     one robot route each; the sync projection (one delivery per event and
//     route, in the transaction that records the event) and the dispatcher
//     (claim → POST → record), timed from start to the N-th message accepted
//     by the robots; baseline: a plain librdkafka consumer reading the same
//     records.
//   latency: WarningRaised events published one by one at a steady rate
//     (after uncounted warm-up events); time from the producer call to the
//     robot accepting the message, p50/p99; baseline: produce → consume of
//     same-size records on another topic, same rate.
// The org directory is the service's own (Redis, fed org events). Prints JSON lines.
//
//   notify_bench --redis_addr=127.0.0.1:P --kafka_bootstrap=127.0.0.1:P --events=5000
#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/kafka/admin.h"
#include "common/kafka/consumer.h"
#include "common/kafka/producer.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "salesops/org/v1/org_events.pb.h"
#include "salesops/warning/v1/warning_events.pb.h"
#include "services/sync/domain/indexing.h"
#include "services/sync/events/sync_projection.h"
#include "services/sync/notify/dispatcher.h"
#include "services/sync/notify/webhook_client.h"
#include "services/sync/store/redis_directory.h"
#include "services/sync/store/redis_sync_repository.h"
#include "services/sync/testing/fake_group_robot.h"
#include "tests/bench/bench_backends.h"

ABSL_FLAG(std::string, redis_addr, "127.0.0.1:6380", "Redis");
ABSL_FLAG(std::string, kafka_bootstrap, "127.0.0.1:9092", "Kafka");
ABSL_FLAG(int, events, 5000, "events in the throughput phase");
ABSL_FLAG(int, teams, 4, "teams, each with its own group route");
ABSL_FLAG(int, latency_events, 500, "events in each latency phase");
ABSL_FLAG(int, latency_warmup, 100, "events sent first in each latency phase, not counted");
ABSL_FLAG(absl::Duration, latency_interval, absl::Milliseconds(10), "gap between latency events");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(300), "give up after");

namespace {

using namespace salesops;
using salesops::bench::Group;
using salesops::bench::Percentile;
using salesops::bench::PlainConsumer;
using salesops::bench::RawLatency;
namespace wv1 = salesops::warning::v1;

std::string Team(const std::string& run, int t) { return absl::StrCat("nb-", run, "-team-", t); }

// The teams the routes are for, as org events through the service's own projection.
absl::Status BuildOrg(sync::DirectoryProjection& dir, const std::string& run, int teams) {
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
  const std::string co = absl::StrCat("nb-", run, "-co");
  SALESOPS_RETURN_IF_ERROR(unit(co, salesops::org::v1::ORG_UNIT_KIND_COMPANY, ""));
  for (int t = 0; t < teams; ++t) {
    SALESOPS_RETURN_IF_ERROR(unit(Team(run, t), salesops::org::v1::ORG_UNIT_KIND_TEAM, co));
  }
  return absl::OkStatus();
}

CloudEvent Raised(const std::string& run, int i, int teams) {
  wv1::WarningRaised e;
  wv1::Warning* w = e.mutable_warning();
  w->set_name(absl::StrCat("warnings/nb-", run, "-", i));
  w->set_org_unit("orgUnits/" + Team(run, i % teams));
  w->set_subject_display_name(absl::StrCat("压测商机〔", i, "〕"));
  w->set_rule("warningRules/stalled-deal");
  w->set_severity(wv1::SEVERITY_WARNING);
  w->set_rep("members/rep");
  w->mutable_message()->set_zh("商机在方案阶段停留 15 天");
  return MakeCloudEvent("/salesops/warning", absl::StrCat("nb-", run, "-", i), w->name(), e,
                        absl::Now());
}

// "…压测商机〔123〕…" → 123; -1 when absent.
int SeqOf(const std::string& title) {
  const std::string open = "压测商机〔";
  const size_t a = title.find(open);
  if (a == std::string::npos) {
    return -1;
  }
  const size_t from = a + open.size();
  const size_t b = title.find("〕", from);
  int n = -1;
  if (b == std::string::npos || !absl::SimpleAtoi(title.substr(from, b - from), &n)) {
    return -1;
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  salesops::ParseFlagsWithEnv(argc, argv, "Group notification benchmark (make bench)");
  const std::string bootstrap = absl::GetFlag(FLAGS_kafka_bootstrap);
  const int n = absl::GetFlag(FLAGS_events);
  const int m = absl::GetFlag(FLAGS_latency_events);
  const int teams = absl::GetFlag(FLAGS_teams);
  const std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  const std::string in_topic = "salesops.bench.notify-in." + run;
  const std::string live_topic = "salesops.bench.notify-live." + run;
  const std::string raw_topic = "salesops.bench.notify-raw." + run;
  const std::string dlq = in_topic + ".dlq";
  if (absl::Status s =
          EnsureTopics(bootstrap, {{in_topic, 3}, {live_topic, 3}, {raw_topic, 3}, {dlq, 1}},
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
  SystemClock clock;
  TransactionalOutbox outbox(redis, sync::SyncKey("outbox"));
  sync::RedisSyncRepository repo(redis, outbox, clock);
  org::OrgDirectory org_directory(redis, sync::kKeyPrefix);
  sync::RedisDirectory directory(redis, org_directory);
  sync::DirectoryProjection directory_projection(outbox, redis);
  if (absl::Status s = BuildOrg(directory_projection, run, teams); !s.ok()) {
    std::fprintf(stderr, "org: %s\n", std::string(s.message()).c_str());
    return 1;
  }

  // The groups: one WeCom robot per team; arrivals recorded by sequence number.
  sync::FakeGroupRobot robot(clock);
  absl::Mutex mu;
  absl::flat_hash_map<int, absl::Time> arrived;
  robot.set_on_message([&](const sync::RobotMessage& msg) {
    const int seq = SeqOf(msg.title);
    absl::MutexLock lock(&mu);
    if (seq >= 0) {
      arrived.emplace(seq, msg.arrival);
    }
  });
  // Until `k` distinct messages arrived (the robot's callback has run for each).
  auto wait_arrived = [&](size_t k, absl::Duration timeout) {
    absl::MutexLock lock(&mu);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return arrived.size() >= k; };
    return mu.AwaitWithTimeout(absl::Condition(&enough), timeout);
  };
  for (int t = 0; t < teams; ++t) {
    robot.AddWeCom(Team(run, t), absl::StrCat("k", t));
  }
  if (!robot.Start().ok()) {
    return 1;
  }
  std::string routes_json = "{\"routes\": [";
  for (int t = 0; t < teams; ++t) {
    absl::StrAppend(&routes_json, t ? "," : "", "{\"id\": \"nb-", run, "-", t,
                    "\", \"org_unit\": \"", Team(run, t),
                    "\", \"platform\": \"wecom\", \"url\": \"", robot.UrlOf(Team(run, t)),
                    "\", \"events\": [\"warning_raised\"]}");
  }
  routes_json += "]}";
  absl::StatusOr<sync::RouteTable> routes = sync::RouteTable::FromJson(routes_json, "bench");
  if (!routes.ok()) {
    std::fprintf(stderr, "routes: %s\n", std::string(routes.status().message()).c_str());
    return 1;
  }
  sync::HttplibTransport http({});
  sync::DispatcherOptions dispatch;
  dispatch.workers = teams;
  dispatch.poll_interval = absl::Milliseconds(50);
  // Each warning its own POST (what the figures count); digests are measured by none here.
  dispatch.posts_per_minute = 0;
  sync::Dispatcher dispatcher(repo, *routes, http, clock, dispatch);
  sync::SyncProjection projection(repo, directory, *routes, clock, {},
                                  [&dispatcher] { dispatcher.Wake(); });
  ProducerOptions producer_options;
  producer_options.bootstrap = bootstrap;
  producer_options.sasl = salesops::bench::KafkaAuth();
  producer_options.client_id = "bench-notify";
  KafkaProducer producer(producer_options);
  if (!producer.Start().ok()) {
    return 1;
  }

  // ---- Throughput: the records first, then projection and dispatcher.
  for (int i = 0; i < n; ++i) {
    const CloudEvent e = Raised(run, i, teams);
    (void)producer.Produce(in_topic, e.key, e.data, ToKafkaHeaders(e), [](absl::Status) {});
  }
  (void)producer.Flush(absl::Seconds(60));
  const absl::Time start = absl::Now();
  dispatcher.Start();
  KafkaEventConsumer consumer(
      Group(bootstrap, "sync-bench-notify-" + run, in_topic, dlq, "warning"), projection, producer);
  (void)consumer.Start();
  const absl::Time deadline = start + absl::GetFlag(FLAGS_timeout);
  (void)wait_arrived(n, deadline - absl::Now());
  const double notify_secs = absl::ToDoubleSeconds(absl::Now() - start);
  int delivered = 0;
  {
    absl::MutexLock lock(&mu);
    delivered = static_cast<int>(arrived.size());
  }
  consumer.Stop();
  // Deliveries that needed more than one attempt, and why (from the stored documents).
  auto retries = [&repo](int* retried, std::string* retry_errors) {
    std::string after;
    while (true) {
      absl::StatusOr<std::vector<std::string>> page = repo.Range("dlv:all", after, 1000);
      if (!page.ok() || page->empty()) {
        break;
      }
      std::vector<std::string> ids;
      for (const std::string& e : *page) {
        ids.push_back(sync::EntryId(e));
      }
      after = page->back();
      absl::StatusOr<std::vector<std::optional<sync::StoredDoc>>> docs =
          repo.GetMany(sync::DocKind::kDelivery, ids);
      if (!docs.ok()) {
        break;
      }
      for (const auto& d : *docs) {
        salesops::sync::v1::NotificationDelivery x;
        if (!d || !x.ParseFromString(d->data) || x.attempts() <= 1) {
          continue;
        }
        ++*retried;
        if (retry_errors->size() < 300) {
          absl::StrAppend(retry_errors, x.name(), " ", x.attempts(), " ", x.last_error(), "; ");
        }
      }
    }
  };
  // Messages the groups got more than once (by sequence number).
  auto duplicated = [&robot] {
    std::map<int, int> seen;
    for (const auto& msg : robot.messages()) {
      ++seen[SeqOf(msg.title)];
    }
    std::string out;
    for (const auto& [seq, count] : seen) {
      if (count > 1 && out.size() < 200) {
        absl::StrAppend(&out, seq, "x", count, " ");
      }
    }
    return out;
  };
  int retried = 0;
  std::string retry_errors;
  retries(&retried, &retry_errors);
  const std::string dup_seqs = duplicated();
  // Baseline: a plain consumer reading the same records (includes its group join).
  double raw_secs = -1;
  {
    const absl::Time t0 = absl::Now();
    auto c = PlainConsumer(bootstrap, "bench-notify-raw-" + run, in_topic, "earliest");
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
  const double eps = delivered == n ? n / notify_secs : -1.0;
  const double raw_eps = raw_secs > 0 ? n / raw_secs : -1.0;
  std::printf(
      "{\"target\":\"notify_throughput\",\"events\":%d,\"routes\":%d,\"delivered\":%d,"
      "\"duplicates\":%d,\"duplicated\":\"%s\",\"retried\":%d,\"retry_errors\":\"%s\","
      "\"events_per_s\":%.0f,"
      "\"raw_consume_events_per_s\":%.0f,\"ratio\":%.4f}\n",
      n, teams, delivered, static_cast<int>(robot.messages().size()) - delivered, dup_seqs.c_str(),
      retried, retry_errors.c_str(), eps, raw_eps, eps > 0 && raw_eps > 0 ? eps / raw_eps : -1.0);
  std::fflush(stdout);

  // ---- Latency: publish → the group has it.
  KafkaEventConsumer live(
      Group(bootstrap, "sync-bench-notify-live-" + run, live_topic, dlq, "warning"), projection,
      producer);
  (void)live.Start();
  absl::SleepFor(absl::Seconds(3));  // the group joins before anything is timed
  absl::flat_hash_map<int, absl::Time> sent;
  const absl::Duration gap = absl::GetFlag(FLAGS_latency_interval);
  const int warmup = absl::GetFlag(FLAGS_latency_warmup);
  const int first = n + 1000;
  for (int i = -warmup; i < m; ++i) {
    const CloudEvent e = Raised(run, first + warmup + i, teams);
    if (i >= 0) {
      sent[first + warmup + i] = absl::Now();
    }
    (void)producer.Produce(live_topic, e.key, e.data, ToKafkaHeaders(e), [](absl::Status) {});
    absl::SleepFor(gap);
  }
  (void)wait_arrived(n + warmup + m, absl::GetFlag(FLAGS_timeout));
  std::vector<double> notify_ms;
  {
    absl::MutexLock lock(&mu);
    for (const auto& [seq, at] : sent) {
      auto it = arrived.find(seq);
      if (it != arrived.end()) {
        notify_ms.push_back(absl::ToDoubleMilliseconds(it->second - at));
      }
    }
  }
  live.Stop();
  dispatcher.Stop();
  // Baseline: produce → consume of same-size records, same rate.
  std::vector<double> raw_ms;
  {
    RawLatency raw(PlainConsumer(bootstrap, "bench-notify-rawlat-" + run, raw_topic, "latest"), m,
                   absl::GetFlag(FLAGS_timeout));
    for (int i = -warmup; i < m; ++i) {
      const CloudEvent e = Raised(run, 3 * n + i, teams);
      const std::string key = absl::StrCat("raw-", i);
      if (i >= 0) {
        raw.Sent(key);
      }
      (void)producer.Produce(raw_topic, key, e.data, ToKafkaHeaders(e), [](absl::Status) {});
      absl::SleepFor(gap);
    }
    raw_ms = raw.Wait();
  }
  producer.Stop();
  robot.Stop();
  int retried_total = 0;
  std::string retry_errors_total;
  retries(&retried_total, &retry_errors_total);
  const std::string dup_total = duplicated();
  std::printf(
      "{\"target\":\"notify_integrity\",\"messages\":%zu,\"duplicated\":\"%s\","
      "\"retried\":%d,\"retry_errors\":\"%s\"}\n",
      robot.messages().size(), dup_total.c_str(), retried_total, retry_errors_total.c_str());
  const double p99 = Percentile(notify_ms, 0.99), raw_p99 = Percentile(raw_ms, 0.99);
  std::printf(
      "{\"target\":\"notify_latency\",\"events\":%d,\"received\":%zu,\"p50_ms\":%.1f,"
      "\"p99_ms\":%.1f,\"raw_received\":%zu,\"raw_p50_ms\":%.1f,\"raw_p99_ms\":%.1f,"
      "\"p99_vs_raw\":%.2f}\n",
      m, notify_ms.size(), Percentile(notify_ms, 0.5), p99, raw_ms.size(), Percentile(raw_ms, 0.5),
      raw_p99, p99 > 0 && raw_p99 > 0 ? p99 / raw_p99 : -1.0);
  return delivered == n && static_cast<int>(notify_ms.size()) == m ? 0 : 1;
}
