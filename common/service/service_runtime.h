// What every service's main wires the same way, so each main only builds its
// own adapters: the topics (created explicitly; a broker that is down is not
// fatal — events wait in the outbox), the idempotent producer (a fatal error
// shuts the service down with exit code 3 so the orchestrator restarts it),
// the outbox relay, consumer groups with their lag/processed/DLQ metrics,
// periodic jobs, the gRPC server, and the stop order on SIGTERM: no more RPCs
// (worker pool), no more jobs, no more consuming (offsets committed), publish
// what is in flight (relay), flush the producer.
//
// Replicas: any number of a service's processes may run on one Redis and
// Kafka. RPCs go to any of them and consumer groups share the partitions; the
// outbox relay and the scheduled jobs each run on one replica at a time, the
// holder of a lease in Redis (redis_lease.h) at
// `<outbox stream>:lease:<--lease_namespace>:relay|jobs`. A replica that stops
// releases its leases at once; one that dies keeps them for --lease_ttl.
//
//   ServiceRuntime rt("targets", settings, metrics, redis, workers);
//   if (!rt.StartEvents(TgtKey("outbox"), {{kTargetsTopic, 3}, {kDlq, 1}}).ok()) return 2;
//   rt.AddConsumer({.group_id = "targets-attainment", .topics = {...}, .dlq_topic = kDlq},
//   handler); rt.AddJob("due", [&] { return scheduler.RunDue().status(); }, absl::Seconds(1));
//   return rt.Serve(&service, kTargetsServiceName);
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/concurrency/periodic_runner.h"
#include "common/concurrency/worker_pool.h"
#include "common/kafka/admin.h"
#include "common/kafka/consumer.h"
#include "common/kafka/producer.h"
#include "common/metrics/metrics.h"
#include "common/outbox/relay.h"
#include "common/redis/redis_client.h"
#include "common/redis/redis_lease.h"
#include "common/service/service_flags.h"
#include "grpcpp/grpcpp.h"

namespace salesops {

class ServiceRuntime {
 public:
  ServiceRuntime(std::string service, ServiceSettings& settings, MetricsRegistry& metrics,
                 RedisClient& redis, WorkerPool& workers);
  ~ServiceRuntime();
  ServiceRuntime(const ServiceRuntime&) = delete;
  ServiceRuntime& operator=(const ServiceRuntime&) = delete;

  // Checks that Redis accepts the service's credentials (refused = bad
  // configuration; unreachable is fine, it may come up later), creates
  // `topics`, starts the producer and the relay of the outbox stream
  // `outbox_stream`. An error (logged) means: exit 2.
  absl::Status StartEvents(const std::string& outbox_stream, const std::vector<TopicSpec>& topics);
  KafkaProducer& producer() { return *producer_; }

  // A consumer group (bootstrap and SASL from the settings when not set;
  // topic owners by the topic names unless declared), started by Serve in the
  // order added. Handlers must outlive the runtime.
  const ConsumerStats& AddConsumer(ConsumerOptions options, EventHandler& handler);
  // A job run every `interval` from Serve; jobs of the same interval share one
  // background thread, each interval has its own. A zero interval disables
  // the jobs added with it. Each job's completed runs and failed runs are
  // exported (salesops_job_runs_total, salesops_job_failures_total): an ops
  // team sees a job that stopped running, a test waits for a run to finish.
  void AddJob(std::string name, std::function<absl::Status()> job, absl::Duration interval);

  // Starts the consumers, the jobs and the gRPC server with `service`, logs
  // "<service> service ready", blocks until SIGTERM/SIGINT, stops everything
  // in order. Returns the exit code: 0, 2 (could not start), 3 (fatal producer error).
  int Serve(grpc::Service* service, const std::string& health_name);

 private:
  void StopEvents();
  void ExportLease(const RedisLease& lease, const std::string& role);

  std::string service_;
  ServiceSettings& settings_;
  MetricsRegistry& metrics_;
  RedisClient& redis_;
  WorkerPool& workers_;
  std::atomic<int> exit_code_{0};
  std::atomic<bool> stopped_{false};
  std::unique_ptr<KafkaProducer> producer_;
  std::unique_ptr<RedisLease> relay_lease_;
  std::unique_ptr<OutboxRelay> relay_;
  std::string lease_prefix_;  // "<outbox stream>:lease:<namespace>:"
  std::unique_ptr<RedisLease> jobs_lease_;
  std::vector<std::unique_ptr<KafkaEventConsumer>> consumers_;
  // One runner (thread) per interval: jobs added with the same interval share
  // it; an interval of zero or less keeps its jobs off.
  std::vector<std::pair<absl::Duration, std::unique_ptr<PeriodicRunner>>> jobs_;
  struct JobStats {
    std::atomic<int64_t> runs{0};
    std::atomic<int64_t> failures{0};
  };
  std::vector<std::unique_ptr<JobStats>> job_stats_;
};

}  // namespace salesops
