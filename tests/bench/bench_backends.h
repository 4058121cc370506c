// How the benchmark binaries (pipeline_bench, warning_bench, retier_bench,
// attainment_bench) authenticate to the benchmark's own Redis and Kafka, which
// run with ACLs like every local server: flags, each with its SALESOPS_* twin,
//   --redis_user, --redis_password_file      Redis ACL user (run_bench.sh: admin)
//   --kafka_sasl_mechanism, --kafka_user, --kafka_password_file
// The raw librdkafka baselines authenticate the same way, so ratios stay fair.
//
//   salesops::ParseFlagsWithEnv(argc, argv, "pipeline bench");
//   RedisOptions o = ...;  bench::ApplyRedisAuth(&o);
//   ProducerOptions p;  p.sasl = bench::KafkaAuth();
//   bench::ApplyKafkaAuth(*rdkafka_conf);   // raw librdkafka clients
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/kafka/consumer.h"
#include "common/kafka/sasl.h"
#include "common/redis/redis_client.h"

namespace salesops::bench {

// Sets user and password from the flags; exits(2) naming the flag when the
// password file cannot be read.
void ApplyRedisAuth(RedisOptions* options);

KafkaSasl KafkaAuth();

// Sets the SASL properties of KafkaAuth() on a raw librdkafka configuration.
void ApplyKafkaAuth(RdKafka::Conf& conf);

// A plain librdkafka consumer of `topic` (the baselines). With reset "latest"
// it has joined its group and holds partitions before it is returned.
std::unique_ptr<RdKafka::KafkaConsumer> PlainConsumer(const std::string& bootstrap,
                                                      const std::string& group,
                                                      const std::string& topic,
                                                      const std::string& reset);

// Our consumer group options for a benchmark topic whose records are `owner`'s events.
ConsumerOptions Group(const std::string& bootstrap, const std::string& group,
                      const std::string& topic, const std::string& dlq,
                      const std::string& owner = "customers");

// CPU seconds this process has used (every thread: the consumer's, librdkafka's).
double ProcessCpuSeconds();

// The machine's busy and total CPU seconds over all cores (/proc/stat), or {-1, -1}:
// with the process' and Redis' own, what the broker and everything else take.
std::pair<double, double> MachineCpuSeconds();

// CPU seconds Redis has used (INFO cpu), or -1 when it does not say.
double RedisCpuSeconds(RedisClient& redis);

// Calls of each command so far and the time Redis spent in them (INFO
// commandstats: "hincrby" → {calls, usec}; the calls a script makes are counted
// too, and a script's time includes theirs), empty when Redis does not say.
struct CommandStat {
  long long calls = 0;
  long long usec = 0;
};
std::map<std::string, CommandStat> RedisCommandStats(RedisClient& redis);
// What `after` adds to `before` per `n` (calls, or with `usec` microseconds,
// per event), commands of at least 0.01 a time, as a JSON object
// ({"hincrby":11.02,…}); INFO itself left out.
std::string PerEventJson(const std::map<std::string, CommandStat>& before,
                         const std::map<std::string, CommandStat>& after, double n, bool usec);

// The p-quantile (0..1) of `v` (nearest rank); -1 when empty.
double Percentile(std::vector<double> v, double p);

// The value of header `name` of a raw record ("" if absent).
std::string Header(RdKafka::Message& m, const std::string& name);

// The raw produce → consume baseline of the latency benchmarks: call Sent(key)
// right before producing a record with that key; a reader thread on `consumer`
// matches each record read to its send time, until `n` have arrived or
// `timeout` passed. Wait() joins and returns the latencies in ms.
//
//   RawLatency raw(PlainConsumer(..., "latest"), 1000, absl::Minutes(5));
//   raw.Sent(key); producer.Produce(topic, key, ...);  ...  auto ms = raw.Wait();
class RawLatency {
 public:
  RawLatency(std::unique_ptr<RdKafka::KafkaConsumer> consumer, int n, absl::Duration timeout);
  ~RawLatency();
  void Sent(const std::string& key);
  std::vector<double> Wait();

 private:
  void Read(absl::Time end);

  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  const int n_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> sent_ ABSL_GUARDED_BY(mu_);
  std::vector<double> ms_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> done_{false};
  std::thread reader_;
};

}  // namespace salesops::bench
