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
//
// Committed mode may also take a batch handler (SetBatchHandler): the records
// already fetched, up to max_batch, go to it at once (the org directory then
// commits them in a few scripts, not one per event). A record it does not
// answer OK, and one that does not decode, takes the one-by-one way
// afterwards (the handler, retries, skipping), in the order of the records.
// So a record answered OK must not depend on an earlier record of its
// partition that a retry could still apply: OrgDirectoryProjection::HandleBatch
// fails every record after a failed commit (a record that does not decode
// fails the same way every time, so the ones after it may go on). Offsets are
// stored once the whole batch is handled.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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
  // Records handed to the batch handler at once (those already fetched; never
  // waits to fill). Used only with a batch handler.
  int max_batch = 256;
};

struct KafkaSourceStats {
  std::atomic<int64_t> processed{0};
  std::atomic<int64_t> batched{0};  // of processed: answered OK by the batch handler
  std::atomic<int64_t> skipped{0};  // undecodable, foreign or failing records
  std::atomic<int64_t> lag{0};
  std::atomic<int64_t> caught_up{0};
  std::atomic<int64_t> assigned{0};  // partitions assigned (and positioned)
};

class KafkaSource {
 public:
  using Handler = std::function<absl::Status(const StreamPosition&, const CloudEvent&)>;
  // One status per event, in order (see the top of this file).
  using BatchHandler =
      std::function<std::vector<absl::Status>(const std::vector<const CloudEvent*>&)>;
  KafkaSource(KafkaSourceOptions options, Handler handler);
  ~KafkaSource();
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  // Committed mode only; before Start.
  void SetBatchHandler(BatchHandler batch) { batch_handler_ = std::move(batch); }
  // INVALID_ARGUMENT for a topic without a conventional owner or a bad
  // property, or a batch handler in live mode.
  absl::Status Start();
  // Stops after the current batch (or mid-retry); commits stored offsets (committed mode).
  void Stop();
  // At least one partition assigned and positioned: events from now on arrive.
  bool live() const { return stats_.assigned.load() > 0; }
  const KafkaSourceStats& stats() const { return stats_; }

 private:
  class Rebalancer;
  void Loop();
  // The record as a CloudEvent from its topic's owner.
  absl::StatusOr<CloudEvent> Decode(RdKafka::Message& message) const;
  // False when stopping interrupted the retries (for a batch: of any record).
  bool Process(RdKafka::Message& message);
  bool ProcessBatch(std::vector<std::unique_ptr<RdKafka::Message>>& batch);
  void RefreshLag();

  KafkaSourceOptions options_;
  Handler handler_;
  BatchHandler batch_handler_;
  std::map<std::string, std::string> owners_;  // topic → owning service
  std::unique_ptr<RdKafka::EventCb> logger_;
  std::unique_ptr<Rebalancer> rebalancer_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  KafkaSourceStats stats_;
};

}  // namespace salesops::gateway
