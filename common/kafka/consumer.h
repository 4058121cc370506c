// A Kafka consumer-group loop that hands each record to a handler as a
// CloudEvent, and advances the group's offset only after the handler is done
// with it (enable.auto.offset.store=false; stored offsets are committed in the
// background and on close/revoke). Together with a handler that records the
// event id in the same Redis transaction as its projection update
// (ProjectionStore), processing is effectively once.
//
// Poison records: a record that is not a valid CloudEvent, or whose handler
// fails with a non-retryable error `max_attempts` times, is copied (value,
// key, headers, plus x-salesops-dlq-* headers saying why) to the dead-letter
// topic, and the loop goes on; INVALID_ARGUMENT (the record itself is bad) is
// copied after the first failure. Retryable errors (UNAVAILABLE: Redis down) are
// retried with backoff, never dead-lettered: the record waits.
//
// Provenance: every topic has an owner, the one service that may publish on
// it (declared in `topic_owners`, or by the name salesops.<owner>.events.v1).
// A record whose ce_source is not "/salesops/<owner>" or whose ce_type does
// not start with "salesops.<owner>.v1." never reaches the handler: it is
// dead-lettered (PERMISSION_DENIED, reason EVENT_PROVENANCE). Broker ACLs keep
// other services from writing the topic; this keeps a service that may write
// it from passing off events as another's.
//
//   KafkaEventConsumer consumer(opts, handler, dlq_producer);
//   consumer.Start();  ...  consumer.Stop();   // commits stored offsets
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/events/cloud_event.h"
#include "common/kafka/producer.h"
#include "common/kafka/sasl.h"

namespace RdKafka {
class KafkaConsumer;
class Message;
class EventCb;
}  // namespace RdKafka

namespace salesops {

class EventHandler {
 public:
  virtual ~EventHandler() = default;
  // OK when done (including "already applied"); a retryable status to try the
  // same record again later; any other status counts as a failed attempt.
  virtual absl::Status Handle(const CloudEvent& event) = 0;
  // Several events at once (one Redis round trip instead of one per event);
  // one status per event, in order. The default handles them one by one.
  // Records that fail here are retried one by one after the later ones in the
  // batch were applied: override only where per-key order does not matter
  // (commutative projections such as counters), or where a record is answered
  // OK only if no earlier record of its key failed in a way a retry could fix
  // (the org directory projections: a failed commit fails every later record).
  virtual std::vector<absl::Status> HandleBatch(const std::vector<const CloudEvent*>& events) {
    std::vector<absl::Status> out;
    out.reserve(events.size());
    for (const CloudEvent* e : events) {
      out.push_back(Handle(*e));
    }
    return out;
  }
};

struct ConsumerOptions {
  std::string bootstrap = "127.0.0.1:9092";
  KafkaSasl sasl;
  std::string group_id;
  std::vector<std::string> topics;
  // topic -> the service that publishes on it ("org" for /salesops/org and
  // salesops.org.v1.*). Topics named salesops.<service>.events.v1 need no
  // entry; Start() fails for any other topic without one.
  std::map<std::string, std::string> topic_owners;
  std::string dlq_topic;
  int max_attempts = 3;
  // Records handed to HandleBatch at once (those already fetched; never waits to fill).
  int max_batch = 256;
  absl::Duration retry_backoff = absl::Milliseconds(200);
  absl::Duration max_retry_backoff = absl::Seconds(5);
  // Extra librdkafka properties.
  std::map<std::string, std::string> extra;
};

struct ConsumerStats {
  std::atomic<int64_t> processed{0};
  std::atomic<int64_t> dead_lettered{0};
  std::atomic<int64_t> retries{0};
  std::atomic<int64_t> lag{0};  // sum over assigned partitions, refreshed every second
  // 1 when partitions are assigned, all their ends are known and nothing is
  // left to process (at the last refresh): the consumer has caught up. A
  // partition nothing was read from since assignment counts from the group's
  // committed offset (a restarted service with nothing new is caught up).
  std::atomic<int64_t> caught_up{0};
  // Partitions assigned, and whether their ends were known at the last
  // refresh: an assignment clears it until the next refresh, which follows
  // the next batch.
  std::atomic<int64_t> assigned{0};
  std::atomic<int64_t> ends_known{0};
};

// Whether the consumer is working through a backlog, so that what it has
// applied is not yet the current picture: partitions assigned and either their
// ends not known yet or more than `max_lag` records left. A consumer without
// partitions is not behind (it has nothing to catch up with).
bool Behind(const ConsumerStats& stats, int64_t max_lag);
// Behind as a predicate, for users built before their consumer is added:
// false until `*stats` is set (main.cc sets it from ServiceRuntime::AddConsumer,
// before anything runs); null when `max_lag` < 0 (never behind).
std::function<bool()> BehindPredicate(const ConsumerStats* const* stats, int64_t max_lag);

// librdkafka properties for a consumer nobody waits on live (a projection that
// requests read, such as an org directory): the broker holds each fetch until
// kPatientFetchBytes are there or `wait` has passed. Under load the consumer
// then makes a few large fetches (and applies a few large batches) rather than
// one per produce request, which costs the broker and the consumer far less;
// an event waits at most `wait` longer. Empty (the broker answers as soon as
// anything is there) when `wait` is zero.
inline constexpr int kPatientFetchBytes = 64 * 1024;
std::map<std::string, std::string> PatientFetch(absl::Duration wait);

// The owner of a topic named salesops.<service>.events.v1, else "".
std::string ConventionalTopicOwner(absl::string_view topic);

// OK when `event` comes from `owner` (ce_source "/salesops/<owner>", ce_type
// "salesops.<owner>.v1.*"); PERMISSION_DENIED with reason EVENT_PROVENANCE
// naming the attribute otherwise.
absl::Status CheckProvenance(const CloudEvent& event, absl::string_view owner);

class KafkaEventConsumer {
 public:
  KafkaEventConsumer(ConsumerOptions options, EventHandler& handler, KafkaProducer& dlq_producer);
  ~KafkaEventConsumer();

  // INVALID_ARGUMENT (field topic_owners) when a topic has no known owner.
  absl::Status Start();
  // Stops the loop after the current record, commits stored offsets, closes.
  void Stop();
  // Asks the loop to stop after the current record and returns at once (Stop
  // still joins it): a service's consumers wind down together, not one after
  // another behind each one's batch.
  void RequestStop() { stopping_ = true; }

  const ConsumerStats& stats() const { return stats_; }

 private:
  class Rebalancer;
  std::unique_ptr<RdKafka::EventCb> logger_;
  void Loop();
  // Returns false if stopping interrupted the retries (offset not stored).
  bool Process(RdKafka::Message& message);
  // The record's CloudEvent if it decodes and comes from its topic's owner.
  absl::StatusOr<CloudEvent> Decode(RdKafka::Message& message) const;
  // Handles a batch; records whose first try failed go through Process()'s
  // retry/dead-letter path. False if stopping interrupted it.
  bool ProcessBatch(std::vector<std::unique_ptr<RdKafka::Message>>& batch);
  // False if stopping interrupted it (the offset must then not move).
  bool DeadLetter(RdKafka::Message& message, const absl::Status& why, int attempts);
  void RefreshLag();

  ConsumerOptions options_;
  EventHandler& handler_;
  KafkaProducer& dlq_producer_;
  std::unique_ptr<Rebalancer> rebalancer_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  ConsumerStats stats_;
};

}  // namespace salesops
