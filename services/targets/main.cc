// The targets service's composition root: builds the adapters, hands them in,
// and runs until SIGTERM/SIGINT. Wiring only; no logic.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"
#include "common/config/config.h"
#include "common/kafka/admin.h"
#include "common/kafka/consumer.h"
#include "common/log/log.h"
#include "common/outbox/relay.h"
#include "common/projection/projection_store.h"
#include "common/service/service_flags.h"
#include "services/org/directory/org_directory.h"
#include "services/targets/api/targets_grpc_service.h"
#include "services/targets/events/attainment_projection.h"
#include "services/targets/events/org_changes.h"
#include "services/targets/store/targets_store.h"

ABSL_FLAG(std::string, targets_addr, "127.0.0.1:7102",
          "gRPC listen address of the targets service");
ABSL_FLAG(std::string, targets_time_zone, "Asia/Shanghai", "Business time zone for dates and pace");
ABSL_FLAG(std::string, targets_channels, "direct,partner,online", "Allowed channel codes");
ABSL_FLAG(std::string, targets_customer_types, "enterprise,smb,government",
          "Allowed customer type codes");
ABSL_FLAG(std::string, targets_attainment_group, salesops::targets::kAttainmentGroup,
          "Kafka consumer group of the attainment projection");
ABSL_FLAG(std::string, targets_directory_group, "targets-org-directory",
          "Kafka consumer group of the org directory projection");
ABSL_FLAG(std::string, targets_org_changes_group, salesops::targets::kOrgChangesGroup,
          "Kafka consumer group applying org changes (member moves) to target plans");
ABSL_FLAG(std::string, org_topic, "salesops.org.events.v1", "Topic the org service publishes on");
ABSL_FLAG(std::string, customers_topic, "salesops.customers.events.v1",
          "Topic the customers service publishes on");

int main(int argc, char** argv) {
  using namespace salesops;
  using namespace salesops::targets;
  BlockShutdownSignals();
  ParseFlagsWithEnv(argc, argv, "SalesOps targets service");
  ServiceSettings settings =
      LoadServiceSettings("targets", "targets_addr", absl::GetFlag(FLAGS_targets_addr));
  TargetsOptions options;
  if (!absl::LoadTimeZone(absl::GetFlag(FLAGS_targets_time_zone), &options.tz)) {
    LogError("bad setting --targets_time_zone (SALESOPS_TARGETS_TIME_ZONE): unknown zone", {});
    return 2;
  }
  options.channels = absl::StrSplit(absl::GetFlag(FLAGS_targets_channels), ',', absl::SkipEmpty());
  options.customer_types =
      absl::StrSplit(absl::GetFlag(FLAGS_targets_customer_types), ',', absl::SkipEmpty());
  if (options.channels.empty() || options.customer_types.empty()) {
    LogError("bad setting --targets_channels / --targets_customer_types: must not be empty", {});
    return 2;
  }

  SystemClock wall_clock;  // token expiry
  std::unique_ptr<Clock> business_clock = MakeBusinessClock();
  const Clock& clock = *business_clock;
  MetricsRegistry metrics;
  RedisClient redis(settings.redis);
  TransactionalOutbox outbox(redis, TgtKey("outbox"));
  TargetsStore store(redis, outbox);
  org::OrgDirectory directory(redis, kKeyPrefix);
  JwtVerifier verifier(settings.jwt, wall_clock);
  TargetsApi api(store, directory, clock, options);
  WorkerPool workers(std::max(1, settings.rpc_workers), settings.rpc_queue);
  RpcRunner rpc("targets", verifier, TargetsMethodPolicy(), metrics,
                settings.rpc_workers > 0 ? &workers : nullptr);
  TargetsGrpcService service(api, rpc);

  const std::string directory_dlq = "salesops.targets-org-directory.dlq.v1";
  if (absl::Status s = EnsureTopics(
          settings.kafka_bootstrap,
          {{kTargetsTopic, 3}, {kAttainmentDlq, 1}, {directory_dlq, 1}, {kOrgChangesDlq, 1}},
          absl::Seconds(5));
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
      {.stream_key = TgtKey("outbox"), .claim_min_idle = settings.outbox_claim_min_idle});
  relay.Start();

  ProjectionStore directory_seen(outbox, TgtKey("dir:seen:"));
  org::OrgDirectoryProjection directory_projection(directory_seen, redis, kKeyPrefix);
  KafkaEventConsumer directory_consumer({.bootstrap = settings.kafka_bootstrap,
                                         .group_id = absl::GetFlag(FLAGS_targets_directory_group),
                                         .topics = {absl::GetFlag(FLAGS_org_topic)},
                                         .dlq_topic = directory_dlq},
                                        directory_projection, producer);
  ProjectionStore attainment_seen(outbox, TgtKey("att:seen:"));
  AttainmentProjection attainment(attainment_seen, store, clock, options.tz);
  const std::string group = absl::GetFlag(FLAGS_targets_attainment_group);
  KafkaEventConsumer attainment_consumer({.bootstrap = settings.kafka_bootstrap,
                                          .group_id = group,
                                          .topics = {absl::GetFlag(FLAGS_customers_topic)},
                                          .dlq_topic = kAttainmentDlq},
                                         attainment, producer);
  OrgChangeHandler org_changes(api);
  KafkaEventConsumer org_changes_consumer(
      {.bootstrap = settings.kafka_bootstrap,
       .group_id = absl::GetFlag(FLAGS_targets_org_changes_group),
       .topics = {absl::GetFlag(FLAGS_org_topic)},
       .dlq_topic = kOrgChangesDlq},
      org_changes, producer);
  for (KafkaEventConsumer* c : {&directory_consumer, &attainment_consumer, &org_changes_consumer}) {
    if (absl::Status s = c->Start(); !s.ok()) {
      LogError("kafka consumer", {{"error", std::string(s.message())}});
      relay.Stop(absl::ZeroDuration());
      producer.Stop(absl::ZeroDuration());
      return 2;
    }
  }

  const Labels svc = {{"service", "targets"}};
  metrics.AddGauge("salesops_rpc_queued", "RPCs waiting for a worker", svc,
                   [&] { return static_cast<double>(workers.queued()); });
  metrics.AddGauge("salesops_outbox_backlog", "Outbox entries not yet published", svc,
                   [&] { return relay.stats().backlog.load(); });
  metrics.AddCounterFn("salesops_outbox_published_total", "Outbox entries delivered to Kafka", svc,
                       [&] { return relay.stats().published.load(); });
  metrics.AddGauge("salesops_consumer_lag", "Records behind the partition ends", {{"group", group}},
                   [&] { return attainment_consumer.stats().lag.load(); });
  metrics.AddCounterFn("salesops_consumer_processed_total", "Records processed", {{"group", group}},
                       [&] { return attainment_consumer.stats().processed.load(); });
  metrics.AddCounterFn("salesops_consumer_dead_lettered_total", "Records sent to the DLQ",
                       {{"group", group}},
                       [&] { return attainment_consumer.stats().dead_lettered.load(); });

  ServerRunner runner(settings.server, metrics);
  runner.AddService(&service, kTargetsServiceName);
  runner.OnStop([&] {
    workers.Stop();
    attainment_consumer.Stop();
    org_changes_consumer.Stop();
    directory_consumer.Stop();
    relay.Stop(absl::Seconds(5));
    producer.Stop(absl::Seconds(5));
  });
  if (absl::Status s = runner.Start(); !s.ok()) {
    LogError("server start", {{"error", std::string(s.message())}});
    runner.Shutdown();
    return 2;
  }
  LogInfo("targets service ready", {{"grpc_port", runner.port()},
                                    {"metrics_port", runner.metrics_port()},
                                    {"kafka", settings.kafka_bootstrap}});
  runner.WaitForShutdownSignal();
  runner.Shutdown();
  return exit_code.load();
}
