// Kafka producer on librdkafka's C++ API, configured for no loss and no
// duplicates from retries: enable.idempotence=true (implies acks=all and
// ordered retries). Every Produce() gets exactly one delivery callback, run on
// the producer's own poll thread; a successful callback means the broker has
// the record durably (all in-sync replicas) and told us its offset.
//
// librdkafka also reports success without an offset, and that is no proof the
// record is stored: a DUPLICATE_SEQUENCE_NUMBER answer (an earlier send was
// stored, librdkafka assumes), and an "implicit ack" (a later batch of the same
// partition succeeded, so librdkafka takes an earlier unanswered or failed one
// as stored; a broker without state for the producer, e.g. after a restart,
// accepts the later batch at any sequence, so the earlier one may be lost).
// Those are reported as UNAVAILABLE, reason KAFKA_DELIVERY_UNCONFIRMED: the
// caller produces again (a duplicate at worst, dropped by consumers by event id).
//
//   KafkaProducer producer({.bootstrap = "127.0.0.1:9092"});
//   SALESOPS_RETURN_IF_ERROR(producer.Start());
//   producer.Produce(topic, key, value, headers, [](absl::Status s) { ... });
//   producer.Stop();   // flushes (bounded) and stops the poll thread
#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/events/cloud_event.h"
#include "common/kafka/sasl.h"

namespace RdKafka {
class Producer;
class EventCb;
}  // namespace RdKafka

namespace salesops {

struct ProducerOptions {
  std::string bootstrap = "127.0.0.1:9092";
  std::string client_id = "salesops";
  // How to authenticate (the broker's ACLs decide which topics we may write).
  KafkaSasl sasl;
  // How long a record may wait for delivery before its callback reports failure.
  absl::Duration message_timeout = absl::Seconds(60);
  absl::Duration linger = absl::Milliseconds(5);
  // Extra librdkafka properties (tests, tuning).
  std::map<std::string, std::string> extra;
  // Called once, from a librdkafka thread, on a fatal client error: nothing
  // can be produced afterwards. Services shut down so they are restarted with
  // a fresh producer; unpublished events wait in the outbox meanwhile.
  std::function<void(const std::string&)> on_fatal;
};

class KafkaProducer {
 public:
  using DeliveryCallback = std::function<void(absl::Status)>;

  explicit KafkaProducer(ProducerOptions options);
  ~KafkaProducer();
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  // Creates the client and the poll thread. INVALID_ARGUMENT on bad config.
  absl::Status Start();
  // Flushes for at most `flush_timeout`, then stops the poll thread.
  void Stop(absl::Duration flush_timeout = absl::Seconds(10));

  // Enqueues a record; `done` runs exactly once with the delivery result.
  // Returns an error (and does not call `done`) only if enqueueing failed
  // even after waiting for queue space.
  absl::Status Produce(const std::string& topic, const std::string& key, const std::string& value,
                       const KafkaHeaders& headers, DeliveryCallback done);

  // Produces and waits for the delivery report.
  absl::Status ProduceSync(const std::string& topic, const std::string& key,
                           const std::string& value, const KafkaHeaders& headers,
                           absl::Duration timeout);
  // A record with a null value (a tombstone on a compacted topic), waited for.
  absl::Status ProduceTombstoneSync(const std::string& topic, const std::string& key,
                                    const KafkaHeaders& headers, absl::Duration timeout);

  absl::Status Flush(absl::Duration timeout);
  // Records enqueued but not yet delivered or failed.
  int OutQueueLength() const;

  // Tests only: makes librdkafka raise a fatal error on this producer.
  void RaiseFatalErrorForTest(const std::string& reason);
  // Tests only, on a mock cluster (bootstrap "mock"): the next `errors.size()`
  // produce requests are answered with these Kafka error codes, in order.
  void InjectProduceErrorsForTest(const std::vector<int>& errors);
  // Tests only: the mock cluster's listener ("127.0.0.1:port"), "" otherwise.
  std::string MockBootstrapsForTest() const;

 private:
  class DeliveryReporter;
  std::unique_ptr<RdKafka::EventCb> logger_;
  void PollLoop();
  // `value` nullptr = a null value.
  absl::Status ProduceRaw(const std::string& topic, const std::string& key, const char* value,
                          size_t value_size, const KafkaHeaders& headers, DeliveryCallback done);
  absl::Status Await(absl::Status enqueued, std::future<absl::Status>& result,
                     absl::Duration timeout);

  ProducerOptions options_;
  std::unique_ptr<DeliveryReporter> reporter_;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::atomic<bool> stopping_{false};
  std::thread poll_thread_;
};

}  // namespace salesops
