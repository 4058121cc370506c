// The forecast service's composition root: builds the adapters, hands them
// in, and runs until SIGTERM/SIGINT. Wiring only; no logic.
#include <algorithm>
#include <functional>

#include "absl/flags/flag.h"
#include "common/config/config.h"
#include "common/directory/org_directory.h"
#include "common/log/log.h"
#include "common/projection/projection_store.h"
#include "common/service/call_guard.h"
#include "common/service/service_flags.h"
#include "common/service/service_runtime.h"
#include "services/forecast/api/forecast_grpc_service.h"
#include "services/forecast/engine/forecast_engine.h"
#include "services/forecast/events/forecast_projection.h"
#include "services/forecast/jobs/forecast_jobs.h"
#include "services/forecast/store/org_view.h"
#include "services/forecast/store/redis_forecast_repository.h"

ABSL_FLAG(std::string, forecast_addr, "127.0.0.1:7105",
          "gRPC listen address of the forecast service");
ABSL_FLAG(std::string, forecast_time_zone, "Asia/Shanghai",
          "Business time zone (deal days, periods, weeks of snapshots)");
ABSL_FLAG(std::string, forecast_engine_group, salesops::forecast::kEngineGroup,
          "Kafka consumer group of the forecast projection (customers and targets events)");
ABSL_FLAG(std::string, forecast_directory_group, salesops::forecast::kDirectoryGroup,
          "Kafka consumer group of the org directory projection");
ABSL_FLAG(absl::Duration, forecast_job_interval, absl::Minutes(1),
          "How often the scheduled work looks for due snapshots, closed periods and refreshes "
          "(0 = no scheduled work)");
ABSL_FLAG(absl::Duration, forecast_refresh_interval, absl::Hours(1),
          "How often stage probabilities are re-learned, time series refitted and every forecast "
          "recomputed");
ABSL_FLAG(
    absl::Duration, forecast_stats_refresh, absl::Seconds(10),
    "How often (at most) the deal consumer re-learns stage probabilities from new closed deals");
ABSL_FLAG(int, forecast_max_periods, 8,
          "Fiscal periods forecast at once (those containing today and the next ones); "
          "more are left out, with a warning in the log");
ABSL_FLAG(int, forecast_gap_threshold_bp, 1000,
          "ForecastGapDetected when the PIPELINE forecast is short of target by more than this "
          "(basis points of the target)");
ABSL_FLAG(double, forecast_confidence, 0.8, "Coverage of prediction intervals, in (0, 1)");
ABSL_FLAG(std::string, forecast_priors,
          "lead:1000,qualified:2500,proposal:5000,negotiation:7000,contract:9000",
          "Win probability per open stage (basis points) until the stage has closed deals");
ABSL_FLAG(int, forecast_min_sample, 30,
          "Closed deals a team/product-line scope needs before its own probabilities are used");
ABSL_FLAG(int, forecast_backtest_periods, 4, "Earlier periods the model choice is back-tested on");
ABSL_FLAG(int64_t, forecast_catch_up_lag, 1000,
          "Records the engine's consumer may have left to process and still publish current "
          "forecasts; further behind (or with partitions just assigned), forecasts are published "
          "provisional, without gap events, and refreshed once it has caught up. -1: never");
ABSL_FLAG(std::string, org_topic, "salesops.org.events.v1", "Topic the org service publishes on");
ABSL_FLAG(std::string, customers_topic, "salesops.customers.events.v1",
          "Topic the customers service publishes on");
ABSL_FLAG(std::string, targets_topic, "salesops.targets.events.v1",
          "Topic the targets service publishes on");

int main(int argc, char** argv) {
  using namespace salesops;
  using namespace salesops::forecast;
  BlockShutdownSignals();
  ParseFlagsWithEnv(argc, argv, "SalesOps forecast service");
  ServiceSettings settings =
      LoadServiceSettings("forecast", "forecast_addr", absl::GetFlag(FLAGS_forecast_addr));
  EngineOptions options;
  if (!absl::LoadTimeZone(absl::GetFlag(FLAGS_forecast_time_zone), &options.tz)) {
    LogError("bad setting --forecast_time_zone (SALESOPS_FORECAST_TIME_ZONE): unknown zone", {});
    return 2;
  }
  absl::StatusOr<std::map<Stage, double>> priors =
      ParsePriors(absl::GetFlag(FLAGS_forecast_priors), "forecast_priors");
  if (!priors.ok()) {
    LogError("bad setting --forecast_priors (SALESOPS_FORECAST_PRIORS)",
             {{"error", std::string(priors.status().message())}});
    return 2;
  }
  options.priors = *priors;
  options.confidence = absl::GetFlag(FLAGS_forecast_confidence);
  options.gap_threshold_bp = absl::GetFlag(FLAGS_forecast_gap_threshold_bp);
  options.min_sample = absl::GetFlag(FLAGS_forecast_min_sample);
  options.stats_refresh = absl::GetFlag(FLAGS_forecast_stats_refresh);
  options.max_periods = absl::GetFlag(FLAGS_forecast_max_periods);
  if (options.max_periods < 1 || options.max_periods > 256) {
    LogError("bad setting --forecast_max_periods (SALESOPS_FORECAST_MAX_PERIODS): must be 1..256",
             {});
    return 2;
  }
  if (!(options.confidence > 0 && options.confidence < 1)) {
    LogError("bad setting --forecast_confidence (SALESOPS_FORECAST_CONFIDENCE): must be in (0, 1)",
             {});
    return 2;
  }
  if (options.gap_threshold_bp < 0 || options.gap_threshold_bp > 10000) {
    LogError("bad setting --forecast_gap_threshold_bp: must be 0..10000", {});
    return 2;
  }
  if (options.min_sample < 1) {
    LogError("bad setting --forecast_min_sample: must be >= 1", {});
    return 2;
  }
  JobOptions job_options;
  job_options.refresh_interval = absl::GetFlag(FLAGS_forecast_refresh_interval);
  job_options.backtest_periods = absl::GetFlag(FLAGS_forecast_backtest_periods);
  if (job_options.refresh_interval <= absl::ZeroDuration() || job_options.backtest_periods < 1 ||
      job_options.backtest_periods > 12) {
    LogError("bad setting --forecast_refresh_interval (> 0) / --forecast_backtest_periods (1..12)",
             {});
    return 2;
  }

  SystemClock wall_clock;  // token expiry
  std::unique_ptr<Clock> business_clock = MakeBusinessClock();
  const Clock& clock = *business_clock;
  MetricsRegistry metrics;
  RedisClient redis(settings.redis);
  TransactionalOutbox outbox(redis, FcstKey("outbox"));
  RedisForecastRepository repo(redis, outbox);
  org::OrgDirectory directory(redis, kKeyPrefix);
  DirectoryOrgView org_view(directory);
  StatsCache stats(repo, clock, options);
  ForecastEngine engine(repo, org_view, stats, options);
  // Set once the engine's consumer is added, before anything runs.
  const ConsumerStats* engine_consumer = nullptr;
  const std::function<bool()> behind =
      BehindPredicate(&engine_consumer, absl::GetFlag(FLAGS_forecast_catch_up_lag));
  job_options.behind = behind;
  ForecastJobs jobs(repo, engine, stats, clock, job_options);
  ApplyTokenFlags("forecast", settings.jwt);
  JwtVerifier verifier(settings.jwt, wall_clock);
  ForecastApi api(repo, org_view, clock, {options.currency});
  WorkerPool workers(std::max(1, settings.rpc_workers), settings.rpc_queue);
  RpcRunner rpc("forecast", verifier, ForecastMethodPolicy(), metrics,
                settings.rpc_workers > 0 ? &workers : nullptr);
  org::DirectoryMemberLookup member_lookup(directory);
  CallGuard call_guard(rpc, &member_lookup, wall_clock);
  ForecastGrpcService service(api, rpc);

  ServiceRuntime runtime("forecast", settings, metrics, redis, workers);
  if (!runtime
           .StartEvents(FcstKey("outbox"),
                        {{kForecastTopic, 3}, {kEngineDlq, 1}, {kDirectoryDlq, 1}})
           .ok()) {
    return 2;
  }
  ProjectionStore directory_seen(outbox, FcstKey("dir:seen:"));
  org::OrgDirectoryProjection directory_projection(directory_seen, redis, kKeyPrefix);
  ConsumerOptions directory_group;
  directory_group.group_id = absl::GetFlag(FLAGS_forecast_directory_group);
  directory_group.topics = {absl::GetFlag(FLAGS_org_topic)};
  directory_group.dlq_topic = kDirectoryDlq;
  directory_group.extra = PatientFetch(settings.projection_fetch_wait);
  runtime.AddConsumer(directory_group, directory_projection);
  ForecastProjection projection(repo, engine, clock);
  projection.WatchBacklog(behind);
  ConsumerOptions engine_group;
  engine_group.group_id = absl::GetFlag(FLAGS_forecast_engine_group);
  engine_group.topics = {absl::GetFlag(FLAGS_customers_topic), absl::GetFlag(FLAGS_targets_topic)};
  engine_group.dlq_topic = kEngineDlq;
  engine_consumer = &runtime.AddConsumer(engine_group, projection);
  runtime.AddJob(
      "forecast", [&] { return jobs.RunOnce(); }, absl::GetFlag(FLAGS_forecast_job_interval));

  const Labels svc = {{"service", "forecast"}};
  metrics.AddCounterFn("salesops_forecast_recomputes_total", "Scope recomputes (events and jobs)",
                       svc, [&] { return engine.stats().recomputes.load(); });
  metrics.AddCounterFn("salesops_forecast_documents_written_total", "Forecast documents written",
                       svc, [&] { return engine.stats().forecasts_written.load(); });
  metrics.AddCounterFn("salesops_forecast_events_total", "ForecastUpdated / gap events published",
                       svc, [&] { return engine.stats().events.load(); });
  metrics.AddCounterFn("salesops_forecast_write_conflicts_total",
                       "Deal events re-read after a concurrent recompute", svc,
                       [&] { return projection.stats().conflicts.load(); });
  metrics.AddCounterFn("salesops_forecast_snapshots_total", "Weekly snapshots taken", svc,
                       [&] { return jobs.stats().snapshots.load(); });
  metrics.AddCounterFn("salesops_forecast_refreshes_total", "Scheduled refreshes done", svc,
                       [&] { return jobs.stats().refreshes.load(); });
  return runtime.Serve(&service, kForecastServiceName);
}
