// The warning engine's composition root: builds the adapters, hands them in,
// and runs until SIGTERM/SIGINT. Wiring only; no logic.
#include <unistd.h>

#include <algorithm>

#include "absl/flags/flag.h"
#include "common/config/config.h"
#include "common/directory/org_directory.h"
#include "common/log/log.h"
#include "common/projection/projection_store.h"
#include "common/service/call_guard.h"
#include "common/service/service_flags.h"
#include "common/service/service_runtime.h"
#include "services/warning/api/warning_grpc_service.h"
#include "services/warning/domain/rules.h"
#include "services/warning/events/warning_consumer.h"
#include "services/warning/jobs/scheduler.h"

ABSL_FLAG(std::string, warning_addr, "127.0.0.1:7106",
          "gRPC listen address of the warning service");
ABSL_FLAG(std::string, warning_time_zone, "Asia/Shanghai",
          "Business time zone (due dates, period days)");
ABSL_FLAG(std::string, warning_rules_file, "",
          "Rules to seed (text-format ListRulesResponse); empty = the shipped rules. Rules "
          "already stored (and edited through the API) are kept");
ABSL_FLAG(std::string, warning_stage_weights,
          "lead:1000,qualified:2500,proposal:5000,negotiation:7000,contract:9000",
          "Win probability per open stage in basis points (weighted pipeline for coverage)");
ABSL_FLAG(absl::Duration, warning_scan_interval, absl::Seconds(1),
          "How often time-based rules are evaluated for the subjects due");
ABSL_FLAG(bool, warning_engine_waves, true,
          "Apply a consumed batch in waves: one event per key, reads and commits pipelined "
          "(false: each event on its own, --warning_engine_lanes at once)");
ABSL_FLAG(int, warning_engine_lanes, 4,
          "Without waves: events of different keys the engine evaluates at once");
ABSL_FLAG(absl::Duration, warning_rules_refresh, absl::Seconds(2),
          "How often a replica checks for rule changes made elsewhere");
ABSL_FLAG(std::string, warning_engine_group, salesops::warning::kEngineGroup,
          "Kafka consumer group of the engine (customers, targets and forecast events)");
ABSL_FLAG(std::string, warning_directory_group, "warning-org-directory",
          "Kafka consumer group of the org directory projection");
ABSL_FLAG(int64_t, warning_catch_up_lag, 1000,
          "Records the engine's consumer may have left to process and still judge a period's "
          "pace, coverage and forecast gap; further behind (or with partitions just assigned), "
          "those judgements wait until every replica is within it, so a backlog's partial "
          "figures raise no false alarms. -1: never wait");
ABSL_FLAG(absl::Duration, warning_catch_up_max_wait, absl::Minutes(10),
          "Periods waiting longer than this for a replica behind (see --warning_catch_up_lag) "
          "are judged on the figures as they are, with a warning in the log: stuck, not "
          "catching up");
ABSL_FLAG(absl::Duration, warning_history_age, absl::Minutes(10),
          "An event this much older than now tells history (a data migration's backfill, a "
          "long outage's backlog): what it changes is judged --warning_history_settle later, "
          "where the history ends, not at each step of it. 0: judge every event at once");
ABSL_FLAG(absl::Duration, warning_history_settle, absl::Seconds(30),
          "How long after a historical event its subject is judged (see --warning_history_age)");
ABSL_FLAG(std::string, org_topic, "salesops.org.events.v1", "Topic the org service publishes on");
ABSL_FLAG(std::string, customers_topic, "salesops.customers.events.v1",
          "Topic the customers service publishes on");
ABSL_FLAG(std::string, targets_topic, "salesops.targets.events.v1",
          "Topic the targets service publishes on");
ABSL_FLAG(std::string, forecast_topic, "salesops.forecast.events.v1",
          "Topic the forecast service publishes on (the forecast-gap rule's facts)");

int main(int argc, char** argv) {
  using namespace salesops;
  using namespace salesops::warning;
  BlockShutdownSignals();
  ParseFlagsWithEnv(argc, argv, "SalesOps warning engine");
  ServiceSettings settings =
      LoadServiceSettings("warning", "warning_addr", absl::GetFlag(FLAGS_warning_addr));
  EngineOptions options;
  if (!absl::LoadTimeZone(absl::GetFlag(FLAGS_warning_time_zone), &options.tz)) {
    LogError("bad setting --warning_time_zone (SALESOPS_WARNING_TIME_ZONE): unknown zone", {});
    return 2;
  }
  absl::StatusOr<StageWeights> weights =
      ParseStageWeights(absl::GetFlag(FLAGS_warning_stage_weights), "warning_stage_weights");
  if (!weights.ok()) {
    LogError("bad setting --warning_stage_weights (SALESOPS_WARNING_STAGE_WEIGHTS)",
             {{"error", std::string(weights.status().message())}});
    return 2;
  }
  options.stage_weights = *weights;
  options.history_age = absl::GetFlag(FLAGS_warning_history_age);
  options.history_settle = absl::GetFlag(FLAGS_warning_history_settle);
  if (options.history_age < absl::ZeroDuration() || options.history_settle < absl::ZeroDuration()) {
    LogError("bad setting --warning_history_age / --warning_history_settle: must be >= 0", {});
    return 2;
  }
  // Set once the engine's consumer is added, before anything runs.
  const ConsumerStats* engine_consumer = nullptr;
  options.max_wait = absl::GetFlag(FLAGS_warning_catch_up_max_wait);
  if (options.max_wait <= absl::ZeroDuration()) {
    LogError("bad setting --warning_catch_up_max_wait: must be positive", {});
    return 2;
  }
  {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    options.replica = absl::StrCat(host, "/", getpid());
  }
  options.behind = BehindPredicate(&engine_consumer, absl::GetFlag(FLAGS_warning_catch_up_lag));
  absl::StatusOr<RuleList> seed = absl::GetFlag(FLAGS_warning_rules_file).empty()
                                      ? DefaultRules()
                                      : LoadRulesFile(absl::GetFlag(FLAGS_warning_rules_file));
  if (!seed.ok()) {
    LogError("bad setting --warning_rules_file (SALESOPS_WARNING_RULES_FILE)",
             {{"error", std::string(seed.status().message())}});
    return 2;
  }
  if (absl::GetFlag(FLAGS_warning_engine_lanes) < 1 ||
      absl::GetFlag(FLAGS_warning_engine_lanes) > 64) {
    LogError("bad setting --warning_engine_lanes (SALESOPS_WARNING_ENGINE_LANES): must be 1..64",
             {});
    return 2;
  }
  const absl::Duration scan_interval = absl::GetFlag(FLAGS_warning_scan_interval);
  if (scan_interval <= absl::ZeroDuration()) {
    LogError("bad setting --warning_scan_interval: must be positive", {});
    return 2;
  }

  SystemClock wall_clock;  // token expiry
  std::unique_ptr<Clock> business_clock = MakeBusinessClock();
  const Clock& clock = *business_clock;
  MetricsRegistry metrics;
  RedisClient redis(settings.redis);
  TransactionalOutbox outbox(redis, WarnKey("outbox"));
  WarningStore store(redis, outbox);
  org::OrgDirectory directory(redis, kKeyPrefix);
  RuleSet rules(store, absl::GetFlag(FLAGS_warning_rules_refresh));
  if (absl::Status s = rules.Seed(*seed, clock.Now()); !s.ok()) {
    LogError("could not store the rules", {{"error", std::string(s.message())}});
    return 2;
  }
  WarningEngine engine(store, directory, rules, options);
  WarningScheduler scheduler(store, engine, clock);
  ApplyTokenFlags("warning", settings.jwt);
  JwtVerifier verifier(settings.jwt, wall_clock);
  WarningApi api(store, engine, directory, clock, options.tz, [&scheduler] {
    if (absl::Status s = scheduler.SweepAll(); !s.ok()) {
      LogWarning("rule change: re-evaluation not scheduled", {{"error", std::string(s.message())}});
    }
  });
  WorkerPool workers(std::max(1, settings.rpc_workers), settings.rpc_queue);
  RpcRunner rpc("warning", verifier, WarningMethodPolicy(), metrics,
                settings.rpc_workers > 0 ? &workers : nullptr);
  org::DirectoryMemberLookup member_lookup(directory);
  CallGuard call_guard(rpc, &member_lookup, wall_clock);
  WarningGrpcService service(api, rpc);

  ServiceRuntime runtime("warning", settings, metrics, redis, workers);
  const std::string directory_dlq = "salesops.warning-org-directory.dlq.v1";
  if (!runtime
           .StartEvents(WarnKey("outbox"),
                        {{kWarningTopic, 3}, {kEngineDlq, 1}, {directory_dlq, 1}})
           .ok()) {
    return 2;
  }
  ProjectionStore directory_seen(outbox, WarnKey("dir:seen:"));
  org::OrgDirectoryProjection directory_projection(directory_seen, redis, kKeyPrefix);
  ConsumerOptions directory_group;
  directory_group.group_id = absl::GetFlag(FLAGS_warning_directory_group);
  directory_group.topics = {absl::GetFlag(FLAGS_org_topic)};
  directory_group.dlq_topic = directory_dlq;
  directory_group.extra = PatientFetch(settings.projection_fetch_wait);
  runtime.AddConsumer(directory_group, directory_projection);
  ProjectionStore engine_seen(outbox, WarnKey("eng:seen:"));
  WarningConsumer consumer(engine_seen, store, engine, clock,
                           {.waves = absl::GetFlag(FLAGS_warning_engine_waves),
                            .lanes = absl::GetFlag(FLAGS_warning_engine_lanes)});
  ConsumerOptions engine_group;
  engine_group.group_id = absl::GetFlag(FLAGS_warning_engine_group);
  engine_group.topics = {absl::GetFlag(FLAGS_customers_topic), absl::GetFlag(FLAGS_targets_topic),
                         absl::GetFlag(FLAGS_forecast_topic)};
  engine_group.dlq_topic = kEngineDlq;
  engine_consumer = &runtime.AddConsumer(engine_group, consumer);
  runtime.AddJob(
      "due", [&] { return scheduler.RunDue().status(); }, scan_interval);

  const Labels svc = {{"service", "warning"}};
  metrics.AddCounterFn("salesops_warning_rule_evaluations_total", "Rule evaluations", svc,
                       [&] { return engine.stats().evaluations.load(); });
  metrics.AddCounterFn("salesops_warnings_raised_total", "Warnings raised", svc,
                       [&] { return engine.stats().raised.load(); });
  metrics.AddCounterFn("salesops_warnings_resolved_total", "Warnings resolved", svc,
                       [&] { return engine.stats().resolved.load(); });
  metrics.AddCounterFn("salesops_warning_evaluations_deferred_total",
                       "Period evaluations put off while the engine's consumer was behind", svc,
                       [&] { return engine.stats().deferred.load(); });
  metrics.AddGauge("salesops_warning_periods_waiting",
                   "1 while rep and team periods wait for a replica that is behind", svc,
                   [&] { return engine.waiting() ? 1.0 : 0.0; });
  metrics.AddCounterFn("salesops_warning_evaluations_settling_total",
                       "Evaluations put off until a replayed history settles", svc,
                       [&] { return engine.stats().settling.load(); });
  return runtime.Serve(&service, kWarningServiceName);
}
