// The customers service's composition root: builds the adapters, hands them
// in, and runs until SIGTERM/SIGINT. Wiring only; no logic.
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
#include "services/customers/api/customers_grpc_service.h"
#include "services/customers/events/org_changes.h"
#include "common/concurrency/periodic_runner.h"
#include "services/customers/store/customers_store.h"
#include "services/org/directory/org_directory.h"

ABSL_FLAG(std::string, customers_addr, "127.0.0.1:7103",
          "gRPC listen address of the customers service");
ABSL_FLAG(std::string, customers_time_zone, "Asia/Shanghai",
          "Business time zone for dates (due dates, claim months)");
ABSL_FLAG(absl::Duration, customers_jobs_interval, absl::Seconds(5),
          "How often the scheduled jobs (pool release, reminders, overdue tasks and payments, "
          "re-tiering) run; 0 disables them");
ABSL_FLAG(std::string, customers_directory_group, salesops::customers::kOrgDirectoryGroup,
          "Kafka consumer group of the org directory projection");
ABSL_FLAG(std::string, customers_org_changes_group, salesops::customers::kOrgChangesGroup,
          "Kafka consumer group applying org changes (owners moving team) to customers");
ABSL_FLAG(std::string, org_topic, "salesops.org.events.v1", "Topic the org service publishes on");

int main(int argc, char** argv) {
  using namespace salesops;
  using namespace salesops::customers;
  BlockShutdownSignals();
  ParseFlagsWithEnv(argc, argv, "SalesOps customers & CRM service");
  ServiceSettings settings =
      LoadServiceSettings("customers", "customers_addr", absl::GetFlag(FLAGS_customers_addr));
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(absl::GetFlag(FLAGS_customers_time_zone), &tz)) {
    LogError("bad setting --customers_time_zone (SALESOPS_CUSTOMERS_TIME_ZONE): unknown zone",
             {{"value", absl::GetFlag(FLAGS_customers_time_zone)}});
    return 2;
  }
  const absl::Duration jobs_interval = absl::GetFlag(FLAGS_customers_jobs_interval);
  if (jobs_interval < absl::ZeroDuration()) {
    LogError("bad setting --customers_jobs_interval: must not be negative", {});
    return 2;
  }

  SystemClock wall_clock;  // token expiry
  std::unique_ptr<Clock> business_clock = MakeBusinessClock();
  const Clock& clock = *business_clock;
  MetricsRegistry metrics;
  RedisClient redis(settings.redis);
  TransactionalOutbox outbox(redis, CustKey("outbox"));
  CustomersStore store(redis, outbox);
  OrgDirectory directory(redis, kKeyPrefix);
  JwtVerifier verifier(settings.jwt, wall_clock);
  CustomersApi api(store, directory, clock, tz);
  WorkerPool workers(std::max(1, settings.rpc_workers), settings.rpc_queue);
  RpcRunner rpc("customers", verifier, CustomersMethodPolicy(), metrics,
                settings.rpc_workers > 0 ? &workers : nullptr);
  CustomersGrpcService service(api, rpc);

  if (absl::Status s = EnsureTopics(
          settings.kafka_bootstrap,
          {{kCustomersTopic, 3}, {kOrgDirectoryDlq, 1}, {kOrgChangesDlq, 1}}, absl::Seconds(5));
      !s.ok()) {
    LogWarning("could not ensure topics; continuing", {{"error", std::string(s.message())}});
  }
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
      {.stream_key = CustKey("outbox"), .claim_min_idle = settings.outbox_claim_min_idle});
  relay.Start();

  ProjectionStore projection_store(outbox, CustKey("dir:seen:"));
  org::OrgDirectoryProjection directory_projection(projection_store, redis, kKeyPrefix);
  const std::string group = absl::GetFlag(FLAGS_customers_directory_group);
  KafkaEventConsumer consumer({.bootstrap = settings.kafka_bootstrap,
                               .group_id = group,
                               .topics = {absl::GetFlag(FLAGS_org_topic)},
                               .dlq_topic = kOrgDirectoryDlq},
                              directory_projection, producer);
  OrgChangeHandler org_changes(api);
  KafkaEventConsumer org_changes_consumer(
      {.bootstrap = settings.kafka_bootstrap,
       .group_id = absl::GetFlag(FLAGS_customers_org_changes_group),
       .topics = {absl::GetFlag(FLAGS_org_topic)},
       .dlq_topic = kOrgChangesDlq},
      org_changes, producer);
  if (absl::Status s = org_changes_consumer.Start(); !s.ok()) {
    LogError("kafka consumer", {{"error", std::string(s.message())}});
    relay.Stop(absl::ZeroDuration());
    producer.Stop(absl::ZeroDuration());
    return 2;
  }
  if (absl::Status s = consumer.Start(); !s.ok()) {
    LogError("kafka consumer", {{"error", std::string(s.message())}});
    relay.Stop(absl::ZeroDuration());
    producer.Stop(absl::ZeroDuration());
    return 2;
  }

  PeriodicRunner jobs(jobs_interval);
  jobs.Add("pool", [&] { return api.RunPoolJob(500).status(); });
  jobs.Add("task-overdue", [&] { return api.RunTaskOverdueJob(500).status(); });
  jobs.Add("payment-overdue", [&] { return api.RunPaymentOverdueJob(500).status(); });
  jobs.Add("tier", [&] { return api.RunTierJob(500).status(); });
  if (jobs_interval > absl::ZeroDuration()) jobs.Start();

  const Labels svc = {{"service", "customers"}};
  metrics.AddGauge("salesops_rpc_queued", "RPCs waiting for a worker", svc,
                   [&] { return static_cast<double>(workers.queued()); });
  metrics.AddGauge("salesops_outbox_backlog", "Outbox entries not yet published", svc,
                   [&] { return relay.stats().backlog.load(); });
  metrics.AddCounterFn("salesops_outbox_published_total", "Outbox entries delivered to Kafka", svc,
                       [&] { return relay.stats().published.load(); });
  metrics.AddCounterFn("salesops_outbox_delivery_failures_total",
                       "Outbox deliveries that failed (entries retried later)", svc,
                       [&] { return relay.stats().failed.load(); });
  metrics.AddGauge("salesops_consumer_lag", "Records behind the partition ends", {{"group", group}},
                   [&] { return consumer.stats().lag.load(); });
  metrics.AddCounterFn("salesops_consumer_processed_total", "Records processed", {{"group", group}},
                       [&] { return consumer.stats().processed.load(); });
  metrics.AddCounterFn("salesops_consumer_dead_lettered_total", "Records sent to the DLQ",
                       {{"group", group}}, [&] { return consumer.stats().dead_lettered.load(); });

  ServerRunner runner(settings.server, metrics);
  runner.AddService(&service, kCustomersServiceName);
  runner.OnStop([&] {
    workers.Stop();
    jobs.Stop();
    consumer.Stop();
    org_changes_consumer.Stop();
    relay.Stop(absl::Seconds(5));
    producer.Stop(absl::Seconds(5));
  });
  if (absl::Status s = runner.Start(); !s.ok()) {
    LogError("server start", {{"error", std::string(s.message())}});
    runner.Shutdown();
    return 2;
  }
  LogInfo("customers service ready", {{"grpc_port", runner.port()},
                                      {"metrics_port", runner.metrics_port()},
                                      {"kafka", settings.kafka_bootstrap}});
  runner.WaitForShutdownSignal();
  runner.Shutdown();
  return exit_code.load();
}
