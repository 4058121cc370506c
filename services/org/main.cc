// The org service's composition root: builds the adapters, hands them in, and
// runs until SIGTERM/SIGINT. Wiring only; no logic.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

#include "absl/flags/flag.h"
#include "common/config/config.h"
#include "common/kafka/admin.h"
#include "common/kafka/consumer.h"
#include "common/log/log.h"
#include "common/outbox/relay.h"
#include "common/projection/projection_store.h"
#include "common/service/service_flags.h"
#include "services/org/api/org_grpc_service.h"
#include "services/org/events/headcount_projection.h"
#include "services/org/events/revenue_projection.h"
#include "services/org/store/redis_org_repository.h"

ABSL_FLAG(std::string, org_addr, "127.0.0.1:7101", "gRPC listen address of the org service");
ABSL_FLAG(bool, org_headcount_consumer, true, "Run the headcount projection consumer");
ABSL_FLAG(std::string, org_headcount_group, salesops::org::kHeadcountGroup,
          "Kafka consumer group of the headcount projection");
ABSL_FLAG(bool, org_revenue_consumer, true,
          "Run the revenue projection consumer (OpportunityWon from the customers topic; feeds "
          "the team-efficiency view)");
ABSL_FLAG(std::string, org_revenue_group, salesops::org::kRevenueGroup,
          "Kafka consumer group of the revenue projection");

int main(int argc, char** argv) {
  using namespace salesops;
  using namespace salesops::org;
  BlockShutdownSignals();  // before any thread starts, so only sigwait sees them
  ParseFlagsWithEnv(
      argc, argv,
      "SalesOps org service: org units, members, positions, reorganisation, efficiency, talent");
  ServiceSettings settings = LoadServiceSettings("org", "org_addr", absl::GetFlag(FLAGS_org_addr));

  SystemClock clock;
  MetricsRegistry metrics;
  RedisClient redis(settings.redis);
  TransactionalOutbox outbox(redis, OrgKey("outbox"));
  RedisOrgRepository repo(redis, outbox);
  JwtVerifier verifier(settings.jwt, clock);
  OrgApi api(repo, clock);
  WorkerPool workers(std::max(1, settings.rpc_workers), settings.rpc_queue);
  RpcRunner rpc("org", verifier, OrgMethodPolicy(), metrics,
                settings.rpc_workers > 0 ? &workers : nullptr);
  OrgGrpcService service(api, rpc);

  // Topics are created explicitly (brokers run with auto-create off). A broker
  // that is down now is not fatal: writes wait in the outbox until it is back.
  if (absl::Status s =
          EnsureTopics(settings.kafka_bootstrap,
                       {{kOrgTopic, 3}, {kHeadcountDlq, 1}, {kCustomersTopic, 3}, {kRevenueDlq, 1}},
                       absl::Seconds(5));
      !s.ok()) {
    LogWarning("could not ensure topics; continuing", {{"error", std::string(s.message())}});
  }
  // A fatal producer error (idempotence lost) leaves the producer unusable:
  // shut down cleanly and exit non-zero so the orchestrator restarts us with a
  // fresh one. Unpublished events wait in the outbox meanwhile.
  std::atomic<int> exit_code{0};
  settings.producer.on_fatal = [&exit_code](const std::string& why) {
    LogError("fatal kafka producer error; shutting down for a restart", {{"error", why}});
    exit_code = 3;
    kill(getpid(), SIGTERM);
  };
  KafkaProducer producer(settings.producer);
  if (absl::Status s = producer.Start(); !s.ok()) {
    LogError("kafka producer", {{"error", std::string(s.message())}});
    return 2;
  }
  OutboxRelay relay(
      redis, producer,
      {.stream_key = OrgKey("outbox"), .claim_min_idle = settings.outbox_claim_min_idle});
  relay.Start();

  ProjectionStore projection_store(outbox, OrgKey("headcount:seen:"));
  HeadcountProjection headcount(projection_store);
  KafkaEventConsumer consumer({.bootstrap = settings.kafka_bootstrap,
                               .group_id = absl::GetFlag(FLAGS_org_headcount_group),
                               .topics = {kOrgTopic},
                               .dlq_topic = kHeadcountDlq},
                              headcount, producer);
  const bool run_consumer = absl::GetFlag(FLAGS_org_headcount_consumer);
  if (run_consumer) {
    if (absl::Status s = consumer.Start(); !s.ok()) {
      LogError("kafka consumer", {{"error", std::string(s.message())}});
      relay.Stop(absl::ZeroDuration());  // before the producer: its callbacks use the relay
      producer.Stop(absl::ZeroDuration());
      return 2;
    }
  }
  ProjectionStore revenue_store(outbox, OrgKey("revenue:seen:"));
  RevenueProjection revenue(revenue_store);
  KafkaEventConsumer revenue_consumer({.bootstrap = settings.kafka_bootstrap,
                                       .group_id = absl::GetFlag(FLAGS_org_revenue_group),
                                       .topics = {kCustomersTopic},
                                       .dlq_topic = kRevenueDlq},
                                      revenue, producer);
  const bool run_revenue = absl::GetFlag(FLAGS_org_revenue_consumer);
  if (run_revenue) {
    if (absl::Status s = revenue_consumer.Start(); !s.ok()) {
      LogError("kafka revenue consumer", {{"error", std::string(s.message())}});
      if (run_consumer) consumer.Stop();
      relay.Stop(absl::ZeroDuration());
      producer.Stop(absl::ZeroDuration());
      return 2;
    }
  }

  metrics.AddGauge("salesops_rpc_queued", "RPCs waiting for a worker", {{"service", "org"}},
                   [&] { return static_cast<double>(workers.queued()); });
  metrics.AddGauge("salesops_outbox_backlog", "Outbox entries not yet published",
                   {{"service", "org"}}, [&] { return relay.stats().backlog.load(); });
  metrics.AddCounterFn("salesops_outbox_published_total", "Outbox entries delivered to Kafka",
                       {{"service", "org"}}, [&] { return relay.stats().published.load(); });
  metrics.AddCounterFn("salesops_outbox_delivery_failures_total",
                       "Outbox deliveries that failed (entries retried later)",
                       {{"service", "org"}}, [&] { return relay.stats().failed.load(); });
  metrics.AddGauge("salesops_consumer_lag", "Records behind the partition ends",
                   {{"group", absl::GetFlag(FLAGS_org_headcount_group)}},
                   [&] { return consumer.stats().lag.load(); });
  metrics.AddCounterFn("salesops_consumer_processed_total", "Records processed",
                       {{"group", absl::GetFlag(FLAGS_org_headcount_group)}},
                       [&] { return consumer.stats().processed.load(); });
  metrics.AddCounterFn("salesops_consumer_dead_lettered_total", "Records sent to the DLQ",
                       {{"group", absl::GetFlag(FLAGS_org_headcount_group)}},
                       [&] { return consumer.stats().dead_lettered.load(); });

  metrics.AddGauge("salesops_consumer_lag", "Records behind the partition ends",
                   {{"group", absl::GetFlag(FLAGS_org_revenue_group)}},
                   [&] { return revenue_consumer.stats().lag.load(); });
  metrics.AddCounterFn("salesops_consumer_processed_total", "Records processed",
                       {{"group", absl::GetFlag(FLAGS_org_revenue_group)}},
                       [&] { return revenue_consumer.stats().processed.load(); });
  metrics.AddCounterFn("salesops_consumer_dead_lettered_total", "Records sent to the DLQ",
                       {{"group", absl::GetFlag(FLAGS_org_revenue_group)}},
                       [&] { return revenue_consumer.stats().dead_lettered.load(); });

  ServerRunner runner(settings.server, metrics);
  runner.AddService(&service, kOrgServiceName);
  // Order matters: no more RPCs, then no more consuming (commit offsets), then
  // publish what is in flight, then flush the producer.
  runner.OnStop([&] {
    workers.Stop();
    if (run_consumer) consumer.Stop();
    if (run_revenue) revenue_consumer.Stop();
    relay.Stop(absl::Seconds(5));
    producer.Stop(absl::Seconds(5));
  });
  if (absl::Status s = runner.Start(); !s.ok()) {
    LogError("server start", {{"error", std::string(s.message())}});
    runner.Shutdown();  // runs the stop hooks in order
    return 2;
  }
  LogInfo("org service ready", {{"grpc_port", runner.port()},
                                {"metrics_port", runner.metrics_port()},
                                {"redis", absl::GetFlag(FLAGS_redis_addr)},
                                {"kafka", settings.kafka_bootstrap}});
  runner.WaitForShutdownSignal();
  runner.Shutdown();
  return exit_code.load();
}
