#include "common/service/service_runtime.h"

#include <signal.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/kafka/admin.h"
#include "common/log/log.h"
#include "common/server/server.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"

namespace salesops {

ServiceRuntime::ServiceRuntime(std::string service, ServiceSettings& settings,
                               MetricsRegistry& metrics, RedisClient& redis, WorkerPool& workers)
    : service_(std::move(service)),
      settings_(settings),
      metrics_(metrics),
      redis_(redis),
      workers_(workers) {}

ServiceRuntime::~ServiceRuntime() { StopEvents(); }

absl::Status ServiceRuntime::StartEvents(const std::string& outbox_stream,
                                         const std::vector<TopicSpec>& topics) {
  // Fail fast on credentials Redis refuses; everything else (Redis not up yet)
  // is retried by the callers as usual.
  if (absl::Status pong = redis_.Ping();
      !pong.ok() && ErrorReason(pong) == reason::kRedisAuthFailed) {
    LogError("redis refused our credentials (--redis_user, --redis_password_file)",
             {{"error", std::string(pong.message())}});
    return pong;
  }
  if (absl::Status s =
          EnsureTopics(settings_.kafka_bootstrap, topics, absl::Seconds(5), settings_.kafka_sasl);
      !s.ok()) {
    LogWarning("could not ensure topics; continuing", {{"error", std::string(s.message())}});
  }
  // A fatal producer error (idempotence lost) leaves the producer unusable:
  // shut down cleanly and exit non-zero so the orchestrator restarts us with a
  // fresh one. Unpublished events wait in the outbox meanwhile.
  settings_.producer.on_fatal = [this](const std::string& why) {
    LogError("fatal kafka producer error; shutting down for a restart", {{"error", why}});
    exit_code_ = 3;
    kill(getpid(), SIGTERM);
  };
  producer_ = std::make_unique<KafkaProducer>(settings_.producer);
  if (absl::Status s = producer_->Start(); !s.ok()) {
    LogError("kafka producer", {{"error", std::string(s.message())}});
    producer_.reset();
    return s;
  }
  lease_prefix_ = absl::StrCat(outbox_stream, ":lease:", settings_.lease_namespace, ":");
  relay_lease_ = std::make_unique<RedisLease>(
      redis_,
      LeaseOptions{.key = lease_prefix_ + "relay", .owner = "", .ttl = settings_.lease_ttl});
  relay_lease_->Start();
  ExportLease(*relay_lease_, "relay");
  RelayOptions relay;
  relay.stream_key = outbox_stream;
  relay.claim_min_idle = settings_.outbox_claim_min_idle;
  relay.linger = settings_.outbox_relay_linger;
  relay.lease = relay_lease_.get();
  relay_ = std::make_unique<OutboxRelay>(redis_, *producer_, relay);
  relay_->Start();
  const Labels svc = {{"service", service_}};
  metrics_.AddGauge("salesops_outbox_relay_active",
                    "1 on the replica whose relay publishes the outbox (holds the relay lease)",
                    svc, [this] { return relay_->stats().active.load(); });
  metrics_.AddGauge("salesops_outbox_backlog",
                    "Outbox entries not yet published (an entry holds a commit's events)", svc,
                    [this] { return relay_->stats().backlog.load(); });
  metrics_.AddGauge("salesops_outbox_unanswered",
                    "Outbox events handed to Kafka whose delivery is not answered yet", svc,
                    [this] { return relay_->stats().unanswered.load(); });
  metrics_.AddGauge("salesops_outbox_held",
                    "Outbox entries read, not yet handed to Kafka (it is answering the round "
                    "ahead, or the round lingers)",
                    svc, [this] { return relay_->stats().held.load(); });
  metrics_.AddCounterFn("salesops_outbox_published_total",
                        "Outbox events delivered to Kafka (an entry holds a commit's events)", svc,
                        [this] { return relay_->stats().published.load(); });
  metrics_.AddCounterFn("salesops_outbox_rounds_total",
                        "Rounds of outbox entries handed to Kafka (published / rounds: events "
                        "per round)",
                        svc, [this] { return relay_->stats().rounds.load(); });
  metrics_.AddCounterFn("salesops_outbox_unconfirmed_total",
                        "Outbox entries Kafka acknowledged without an offset (not known to be "
                        "stored), published again",
                        svc, [this] { return relay_->stats().unconfirmed.load(); });
  metrics_.AddCounterFn("salesops_outbox_delivery_failures_total",
                        "Outbox deliveries that failed (entries retried later)", svc,
                        [this] { return relay_->stats().failed.load(); });
  return absl::OkStatus();
}

const ConsumerStats& ServiceRuntime::AddConsumer(ConsumerOptions options, EventHandler& handler) {
  if (options.bootstrap.empty() || options.bootstrap == ConsumerOptions().bootstrap) {
    options.bootstrap = settings_.kafka_bootstrap;
  }
  if (!options.sasl.enabled() && options.sasl.ca_file.empty()) {
    options.sasl = settings_.kafka_sasl;
  }
  const Labels group = {{"group", options.group_id}};
  consumers_.push_back(
      std::make_unique<KafkaEventConsumer>(std::move(options), handler, *producer_));
  KafkaEventConsumer* c = consumers_.back().get();
  metrics_.AddGauge("salesops_consumer_lag", "Records behind the partition ends", group,
                    [c] { return c->stats().lag.load(); });
  metrics_.AddGauge("salesops_consumer_caught_up",
                    "1 when partitions are assigned and nothing is left to process", group,
                    [c] { return c->stats().caught_up.load(); });
  metrics_.AddCounterFn("salesops_consumer_processed_total", "Records processed", group,
                        [c] { return c->stats().processed.load(); });
  metrics_.AddCounterFn("salesops_consumer_dead_lettered_total", "Records sent to the DLQ", group,
                        [c] { return c->stats().dead_lettered.load(); });
  return c->stats();
}

void ServiceRuntime::AddJob(std::string name, std::function<absl::Status()> job,
                            absl::Duration interval) {
  job_stats_.push_back(std::make_unique<JobStats>());
  JobStats* stats = job_stats_.back().get();
  const Labels labels = {{"service", service_}, {"job", name}};
  metrics_.AddCounterFn("salesops_job_runs_total", "Completed runs of a scheduled job", labels,
                        [stats] { return stats->runs.load(); });
  metrics_.AddCounterFn("salesops_job_failures_total", "Runs of a scheduled job that failed",
                        labels, [stats] { return stats->failures.load(); });
  job = [job = std::move(job), stats] {
    absl::Status s = job();
    if (!s.ok()) {
      ++stats->failures;
    }
    ++stats->runs;
    return s;
  };
  for (auto& [every, runner] : jobs_) {
    if (every == interval) {
      runner->Add(std::move(name), std::move(job));
      return;
    }
  }
  jobs_.emplace_back(interval, std::make_unique<PeriodicRunner>(interval));
  jobs_.back().second->Add(std::move(name), std::move(job));
}

void ServiceRuntime::ExportLease(const RedisLease& lease, const std::string& role) {
  const Labels labels = {{"service", service_}, {"lease", role}};
  metrics_.AddGauge("salesops_lease_held", "1 while this replica holds the lease", labels,
                    [&lease] { return lease.held() ? 1.0 : 0.0; });
  metrics_.AddCounterFn("salesops_lease_acquisitions_total",
                        "Times this replica became the lease's holder", labels,
                        [&lease] { return lease.acquisitions(); });
}

void ServiceRuntime::StopEvents() {
  if (stopped_.exchange(true)) {
    return;
  }
  for (auto& [every, runner] : jobs_) {
    runner->Stop();
  }
  if (jobs_lease_) {
    jobs_lease_->Stop();  // another replica's scheduler takes over now
  }
  for (auto& c : consumers_) {
    c->RequestStop();  // all of them at once: each then stops after its record
  }
  for (auto& c : consumers_) {
    c->Stop();
  }
  // The relay before the producer: its delivery callbacks use the relay.
  if (relay_) {
    relay_->Stop(absl::Seconds(5));
  }
  if (relay_lease_) {
    relay_lease_->Stop();
  }
  if (producer_) {
    producer_->Stop(absl::Seconds(5));
  }
}

int ServiceRuntime::Serve(grpc::Service* service, const std::string& health_name) {
  for (auto& c : consumers_) {
    if (absl::Status s = c->Start(); !s.ok()) {
      LogError("kafka consumer", {{"error", std::string(s.message())}});
      StopEvents();
      return 2;
    }
  }
  // One scheduler among the replicas: the jobs run where the jobs lease is.
  // A replica whose jobs are all off does not compete for it.
  bool any_jobs = false;
  for (auto& [every, runner] : jobs_) {
    any_jobs |= every > absl::ZeroDuration();
  }
  if (any_jobs && !lease_prefix_.empty()) {
    jobs_lease_ = std::make_unique<RedisLease>(
        redis_,
        LeaseOptions{.key = lease_prefix_ + "jobs", .owner = "", .ttl = settings_.lease_ttl});
    jobs_lease_->Start();
    ExportLease(*jobs_lease_, "jobs");
  }
  for (auto& [every, runner] : jobs_) {
    if (every > absl::ZeroDuration()) {
      if (jobs_lease_) {
        runner->SetGate([lease = jobs_lease_.get()] { return lease->held(); });
      }
      runner->Start();
    }
  }
  metrics_.AddGauge("salesops_rpc_queued", "RPCs waiting for a worker", {{"service", service_}},
                    [this] { return static_cast<double>(workers_.queued()); });

  ServerRunner runner(settings_.server, metrics_);
  runner.AddService(service, health_name);
  // Order matters: no more RPCs, no more jobs, no more consuming (commit
  // offsets), then publish what is in flight and flush the producer.
  runner.OnStop([this] {
    workers_.Stop();
    StopEvents();
  });
  if (absl::Status s = runner.Start(); !s.ok()) {
    LogError("server start", {{"error", std::string(s.message())}});
    runner.Shutdown();  // runs the stop hooks in order
    return 2;
  }
  LogInfo(service_ + " service ready", {{"grpc_port", runner.port()},
                                        {"metrics_port", runner.metrics_port()},
                                        {"kafka", settings_.kafka_bootstrap}});
  runner.WaitForShutdownSignal();
  runner.Shutdown();
  return exit_code_.load();
}

}  // namespace salesops
