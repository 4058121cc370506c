// The gateway's Kafka reader, in one of two modes:
//
//  - live (from_end): a consumer group of this gateway instance alone; every
//    assigned partition starts at its end offset as it is at assignment time
//    (asked of the broker, so nothing produced after the assignment is
//    missed), and offsets are never committed: a restarted gateway follows
//    live again. Feeds the SSE stream.
//  - committed: a group shared by all gateway instances, starting where the
//    group left off (the beginning the first time), offsets stored after
//    handling. Feeds the org directory projection.
//
// Records are CloudEvents (binary mode) checked for provenance (a topic's
// events must come from its owner, as in common/kafka/consumer.h). The gateway
// may write no topic (its Kafka user is read-only), so it cannot dead-letter:
// a record that does not decode, comes from the wrong service, or keeps
// failing with a non-retryable error is logged, counted and skipped. A
// retryable error (Redis down) is retried with backoff: the record waits.
//
//   KafkaSource source({.bootstrap = b, .sasl = s, .group_id = "gateway-stream-h1",
//                       .topics = {...}, .from_end = true},
//                      [&](const StreamPosition& at, const CloudEvent& e) { … return OkStatus();
//                      });
//   source.Start(); … source.Stop();
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/events/cloud_event.h"
#include "common/kafka/sasl.h"
#include "services/gateway/domain/stream_position.h"

namespace RdKafka {
class KafkaConsumer;
class Message;
class EventCb;
class RebalanceCb;
}  // namespace RdKafka

namespace salesops::gateway {

struct KafkaSourceOptions {
  std::string bootstrap;
  KafkaSasl sasl;
  std::string group_id;
  std::vector<std::string> topics;  // salesops.<owner>.events.v1
  bool from_end = false;
  int max_attempts = 3;  // non-retryable failures before a record is skipped
  absl::Duration retry_backoff = absl::Milliseconds(200);
  absl::Duration max_retry_backoff = absl::Seconds(5);
  std::map<std::string, std::string> extra;  // librdkafka properties
};

struct KafkaSourceStats {
  std::atomic<int64_t> processed{0};
  std::atomic<int64_t> skipped{0};  // undecodable, foreign or failing records
  std::atomic<int64_t> lag{0};
  std::atomic<int64_t> caught_up{0};
  std::atomic<int64_t> assigned{0};  // partitions assigned (and positioned)
};

class KafkaSource {
 public:
  using Handler = std::function<absl::Status(const StreamPosition&, const CloudEvent&)>;
  KafkaSource(KafkaSourceOptions options, Handler handler);
  ~KafkaSource();
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  // INVALID_ARGUMENT for a topic without a conventional owner or a bad property.
  absl::Status Start();
  // Stops after the current record; commits stored offsets (committed mode).
  void Stop();
  // At least one partition assigned and positioned: events from now on arrive.
  bool live() const { return stats_.assigned.load() > 0; }
  const KafkaSourceStats& stats() const { return stats_; }

 private:
  class Rebalancer;
  void Loop();
  // False when stopping interrupted the retries.
  bool Process(RdKafka::Message& message);
  void RefreshLag();

  KafkaSourceOptions options_;
  Handler handler_;
  std::map<std::string, std::string> owners_;  // topic → owning service
  std::unique_ptr<RdKafka::EventCb> logger_;
  std::unique_ptr<Rebalancer> rebalancer_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  KafkaSourceStats stats_;
};

}  // namespace salesops::gateway
