// The sync service's composition root: builds the adapters, hands them in,
// and runs until SIGTERM/SIGINT. Wiring only; no logic.
#include <memory>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/config/config.h"
#include "common/directory/org_directory.h"
#include "common/log/log.h"
#include "common/service/call_guard.h"
#include "common/service/service_flags.h"
#include "common/service/service_runtime.h"
#include "services/sync/api/sync_grpc_service.h"
#include "services/sync/domain/names.h"
#include "services/sync/events/share_publisher.h"
#include "services/sync/events/sync_projection.h"
#include "services/sync/jobs/sla_jobs.h"
#include "services/sync/notify/dispatcher.h"
#include "services/sync/notify/webhook_client.h"
#include "services/sync/store/redis_directory.h"
#include "services/sync/store/redis_sync_repository.h"

ABSL_FLAG(std::string, sync_addr, "127.0.0.1:7107", "gRPC listen address of the sync service");
ABSL_FLAG(std::string, sync_time_zone, "Asia/Shanghai",
          "Business time zone: SLA dates and times in group messages");
ABSL_FLAG(std::string, sync_routes_file, "",
          "JSON file of the group-robot notification routes (notify/routes.h); empty: none. "
          "Holds webhook tokens and secrets: mount it from a Secret");
ABSL_FLAG(std::string, sync_webhook_ca_file, "",
          "PEM bundle to verify the webhook servers with; empty: the system's CAs");
ABSL_FLAG(absl::Duration, sync_webhook_timeout, absl::Seconds(5),
          "Read and write time-out of one webhook request");
ABSL_FLAG(int, sync_notify_workers, 4, "Routes posted to at once");
ABSL_FLAG(int, sync_notify_max_attempts, 6, "Attempts per notification, the first included");
ABSL_FLAG(int, sync_notify_posts_per_minute, 20,
          "Posts per group robot per minute from this replica (WeCom and DingTalk take 20: "
          "with N replicas, 20 / N); more waiting than that go out as digests. 0 = no limit");
ABSL_FLAG(absl::Duration, sync_notify_backoff, absl::Seconds(2),
          "Wait before the first retry of a notification (doubles per retry, with jitter)");
ABSL_FLAG(absl::Duration, sync_notify_backoff_cap, absl::Minutes(5),
          "Longest wait between two attempts of a notification");
ABSL_FLAG(absl::Duration, sync_notify_poll, absl::Milliseconds(200),
          "How often due notifications are looked for when nothing woke the sender");
ABSL_FLAG(absl::Duration, sync_notify_lease, absl::ZeroDuration(),
          "How long a notification may be in flight before a crashed sender's attempt counts as "
          "in doubt (never re-sent by itself); 0: max(30s, the HTTP time-outs + 10s). At least the "
          "connect, write and read time-outs together");
ABSL_FLAG(absl::Duration, sync_sla_interval, absl::Seconds(5),
          "How often overdue feedback, uncontacted leads and expired shares are looked for (0: "
          "never)");
ABSL_FLAG(absl::Duration, sync_share_interval, absl::Milliseconds(200),
          "How often changed customer shares are published to the share topic");
ABSL_FLAG(std::string, sync_share_topic, "salesops.share.customers.v1",
          "Compacted topic of the shared, minimised customer records");
ABSL_FLAG(std::string, sync_events_group, salesops::sync::kSyncGroup,
          "Kafka consumer group of the sync projection");
ABSL_FLAG(std::string, sync_directory_group, salesops::sync::kDirectoryGroup,
          "Kafka consumer group of the org directory projection");
ABSL_FLAG(std::string, org_topic, "salesops.org.events.v1", "Topic the org service publishes on");
ABSL_FLAG(std::string, customers_topic, "salesops.customers.events.v1",
          "Topic the customers service publishes on");
ABSL_FLAG(std::string, targets_topic, "salesops.targets.events.v1",
          "Topic the targets service publishes on");
ABSL_FLAG(std::string, warning_topic, "salesops.warning.events.v1",
          "Topic the warning engine publishes on");
ABSL_FLAG(std::string, performance_topic, "salesops.performance.events.v1",
          "Topic the performance service publishes on");
ABSL_FLAG(std::string, forecast_topic, "salesops.forecast.events.v1",
          "Topic the forecast service publishes on");

int main(int argc, char** argv) {
  using namespace salesops;
  using namespace salesops::sync;
  BlockShutdownSignals();
  ParseFlagsWithEnv(argc, argv,
                    "SalesOps sync service: product, market and sales in step; task forces; "
                    "customer sharing; group notifications");
  ServiceSettings settings =
      LoadServiceSettings("sync", "sync_addr", absl::GetFlag(FLAGS_sync_addr));
  ProjectionOptions projection_options;
  if (!absl::LoadTimeZone(absl::GetFlag(FLAGS_sync_time_zone), &projection_options.tz)) {
    LogError("bad setting --sync_time_zone (SALESOPS_SYNC_TIME_ZONE): unknown zone");
    return 2;
  }
  RouteTable routes;
  if (const std::string path = absl::GetFlag(FLAGS_sync_routes_file); !path.empty()) {
    absl::StatusOr<RouteTable> loaded = RouteTable::FromFile(path);
    if (!loaded.ok()) {
      LogError(std::string(loaded.status().message()));  // names the entry, never a URL or secret
      return 2;
    }
    routes = *std::move(loaded);
  }
  DispatcherOptions dispatch;
  dispatch.workers = absl::GetFlag(FLAGS_sync_notify_workers);
  dispatch.max_attempts = absl::GetFlag(FLAGS_sync_notify_max_attempts);
  dispatch.backoff_base = absl::GetFlag(FLAGS_sync_notify_backoff);
  dispatch.backoff_cap = absl::GetFlag(FLAGS_sync_notify_backoff_cap);
  dispatch.poll_interval = absl::GetFlag(FLAGS_sync_notify_poll);
  dispatch.posts_per_minute = absl::GetFlag(FLAGS_sync_notify_posts_per_minute);
  if (dispatch.posts_per_minute < 0 || dispatch.posts_per_minute > 6000) {
    LogError("bad setting --sync_notify_posts_per_minute: 0 (no limit) to 6000");
    return 2;
  }
  HttpOptions http_options;
  http_options.read_timeout = absl::GetFlag(FLAGS_sync_webhook_timeout);
  http_options.write_timeout = absl::GetFlag(FLAGS_sync_webhook_timeout);
  http_options.ca_file = absl::GetFlag(FLAGS_sync_webhook_ca_file);
  // A claim must outlast the longest request it covers.
  const absl::Duration longest_request =
      http_options.connect_timeout + http_options.write_timeout + http_options.read_timeout;
  dispatch.lease = absl::GetFlag(FLAGS_sync_notify_lease);
  if (dispatch.lease == absl::ZeroDuration()) {
    dispatch.lease = std::max(absl::Seconds(30), longest_request + absl::Seconds(10));
  } else if (dispatch.lease < longest_request) {
    LogError(absl::StrCat("bad setting --sync_notify_lease: at least ",
                          absl::FormatDuration(longest_request),
                          " (the webhook connect, write and read time-outs)"));
    return 2;
  }
  if (dispatch.workers < 1 || dispatch.workers > 64 || dispatch.max_attempts < 1 ||
      dispatch.max_attempts > 50 || dispatch.backoff_base <= absl::ZeroDuration() ||
      dispatch.backoff_cap < dispatch.backoff_base) {
    LogError(
        "bad setting --sync_notify_workers (1..64), --sync_notify_max_attempts (1..50) or "
        "--sync_notify_backoff / _cap (positive, cap >= base)");
    return 2;
  }

  SystemClock wall_clock;  // token expiry, webhook signatures
  std::unique_ptr<Clock> business_clock = MakeBusinessClock();
  const Clock& clock = *business_clock;
  MetricsRegistry metrics;
  RedisClient redis(settings.redis);
  TransactionalOutbox outbox(redis, SyncKey("outbox"));
  RedisSyncRepository repo(redis, outbox, clock);
  org::OrgDirectory org_directory(redis, kKeyPrefix);
  RedisDirectory directory(redis, org_directory);
  ApplyTokenFlags("sync", settings.jwt);
  JwtVerifier verifier(settings.jwt, wall_clock);
  SyncOptions options;
  options.tz = projection_options.tz;
  SyncApi api(repo, directory, routes, clock, options);
  WorkerPool workers(std::max(1, settings.rpc_workers), settings.rpc_queue);
  RpcRunner rpc("sync", verifier, SyncMethodPolicy(), metrics,
                settings.rpc_workers > 0 ? &workers : nullptr);
  org::DirectoryMemberLookup member_lookup(org_directory);
  CallGuard call_guard(rpc, &member_lookup, wall_clock);
  SyncGrpcService service(api, rpc);

  ServiceRuntime runtime("sync", settings, metrics, redis, workers);
  TopicSpec share_topic{absl::GetFlag(FLAGS_sync_share_topic), 3};
  share_topic.compact = true;
  if (!runtime
           .StartEvents(SyncKey("outbox"), {TopicSpec{kSyncTopic, 3}, share_topic,
                                            TopicSpec{kSyncDlq, 1}, TopicSpec{kDirectoryDlq, 1}})
           .ok()) {
    return 2;
  }
  HttplibTransport http(http_options);
  // Deliveries are scheduled on the business clock (as the projection queues
  // them); signatures carry the real time the platforms check.
  dispatch.signing_clock = &wall_clock;
  Dispatcher dispatcher(repo, routes, http, clock, dispatch, &metrics);
  DirectoryProjection directory_projection(outbox, redis);
  ConsumerOptions directory_group;
  directory_group.group_id = absl::GetFlag(FLAGS_sync_directory_group);
  directory_group.topics = {absl::GetFlag(FLAGS_org_topic)};
  directory_group.dlq_topic = kDirectoryDlq;
  directory_group.extra = PatientFetch(settings.projection_fetch_wait);
  runtime.AddConsumer(directory_group, directory_projection);
  SyncProjection projection(repo, directory, routes, clock, projection_options,
                            [&dispatcher] { dispatcher.Wake(); });
  ConsumerOptions events_group;
  events_group.group_id = absl::GetFlag(FLAGS_sync_events_group);
  events_group.topics = {
      absl::GetFlag(FLAGS_customers_topic), absl::GetFlag(FLAGS_targets_topic),
      absl::GetFlag(FLAGS_warning_topic),   absl::GetFlag(FLAGS_performance_topic),
      absl::GetFlag(FLAGS_forecast_topic),  kSyncTopic};
  events_group.dlq_topic = kSyncDlq;
  runtime.AddConsumer(events_group, projection);
  SlaJobs sla(repo, clock);
  runtime.AddJob(
      "sla", [&sla] { return sla.RunOnce().status(); }, absl::GetFlag(FLAGS_sync_sla_interval));
  KafkaShareSink share_sink(runtime.producer(), absl::GetFlag(FLAGS_sync_share_topic));
  SharePublisher shares(repo, share_sink, clock);
  runtime.AddJob(
      "shares", [&shares] { return shares.RunOnce().status(); },
      absl::GetFlag(FLAGS_sync_share_interval));
  dispatcher.Start();
  const int code = runtime.Serve(&service, kSyncServiceName);
  dispatcher.Stop();
  return code;
}
