// The targets service's composition root: builds the adapters, hands them in,
// and runs until SIGTERM/SIGINT. Wiring only; no logic.
#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"
#include "common/config/config.h"
#include "common/directory/org_directory.h"
#include "common/log/log.h"
#include "common/projection/projection_store.h"
#include "common/service/call_guard.h"
#include "common/service/service_flags.h"
#include "common/service/service_runtime.h"
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
  ApplyTokenFlags("targets", settings.jwt);
  JwtVerifier verifier(settings.jwt, wall_clock);
  PlanModelCache plan_models(store, directory);
  TargetsApi api(store, directory, plan_models, clock, options);
  WorkerPool workers(std::max(1, settings.rpc_workers), settings.rpc_queue);
  RpcRunner rpc("targets", verifier, TargetsMethodPolicy(), metrics,
                settings.rpc_workers > 0 ? &workers : nullptr);
  org::DirectoryMemberLookup member_lookup(directory);
  CallGuard call_guard(rpc, &member_lookup, wall_clock);
  TargetsGrpcService service(api, rpc);

  ServiceRuntime runtime("targets", settings, metrics, redis, workers);
  const std::string directory_dlq = "salesops.targets-org-directory.dlq.v1";
  if (!runtime
           .StartEvents(
               TgtKey("outbox"),
               {{kTargetsTopic, 3}, {kAttainmentDlq, 1}, {directory_dlq, 1}, {kOrgChangesDlq, 1}})
           .ok()) {
    return 2;
  }
  ProjectionStore directory_seen(outbox, TgtKey("dir:seen:"));
  org::OrgDirectoryProjection directory_projection(directory_seen, redis, kKeyPrefix);
  ConsumerOptions directory_group;
  directory_group.group_id = absl::GetFlag(FLAGS_targets_directory_group);
  directory_group.topics = {absl::GetFlag(FLAGS_org_topic)};
  directory_group.dlq_topic = directory_dlq;
  directory_group.extra = PatientFetch(settings.projection_fetch_wait);
  runtime.AddConsumer(directory_group, directory_projection);
  ProjectionStore attainment_seen(outbox, TgtKey("att:seen:"));
  AttainmentProjection attainment(attainment_seen, store, plan_models, clock, options.tz);
  ConsumerOptions attainment_group;
  attainment_group.group_id = absl::GetFlag(FLAGS_targets_attainment_group);
  attainment_group.topics = {absl::GetFlag(FLAGS_customers_topic)};
  attainment_group.dlq_topic = kAttainmentDlq;
  attainment_group.max_batch = kAttainmentMaxBatch;
  runtime.AddConsumer(attainment_group, attainment);
  OrgChangeHandler org_changes(api);
  ConsumerOptions org_changes_group;
  org_changes_group.group_id = absl::GetFlag(FLAGS_targets_org_changes_group);
  org_changes_group.topics = {absl::GetFlag(FLAGS_org_topic)};
  org_changes_group.dlq_topic = kOrgChangesDlq;
  org_changes_group.extra = PatientFetch(settings.projection_fetch_wait);
  runtime.AddConsumer(org_changes_group, org_changes);
  const Labels svc = {{"service", "targets"}};
  metrics.AddCounterFn("salesops_attainment_waves_total",
                       "Consumer batches' waves (deals read and committed together)", svc,
                       [&] { return attainment.batch_stats().waves.load(); });
  metrics.AddCounterFn("salesops_attainment_wave_events_total", "Events committed in a wave", svc,
                       [&] { return attainment.batch_stats().in_waves.load(); });
  metrics.AddCounterFn("salesops_attainment_alone_events_total",
                       "Wave events applied on their own (a lost race, a failed read or commit)",
                       svc, [&] { return attainment.batch_stats().alone.load(); });
  // Which side sets a busy consumer's pace: a large commit_wait share is
  // Redis catching up with the commits sent; a large build share, this process.
  const std::pair<const char*, const std::atomic<int64_t>*> steps[] = {
      {"read", &attainment.batch_stats().read_ns},
      {"build", &attainment.batch_stats().build_ns},
      {"commit_wait", &attainment.batch_stats().commit_wait_ns}};
  for (const auto& [step, ns] : steps) {
    metrics.AddCounterFn("salesops_attainment_wave_seconds_total",
                         "Waves' time by step: waiting for reads, building and sending the "
                         "commits, waiting for the last commits' answers",
                         {{"service", "targets"}, {"step", step}},
                         [ns = ns] { return static_cast<double>(ns->load()) / 1e9; });
  }
  return runtime.Serve(&service, kTargetsServiceName);
}
