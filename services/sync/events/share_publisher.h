// Publishes the compacted share topic (salesops.share.customers.v1): for every
// customer whose shares or minimised record changed (the repository's dirty
// marks, set in the same transaction as the change), the record other systems
// may hold — SharedCustomerRecord keyed by the customer id — or a tombstone
// (null value) when no share is active any more. A mark is cleared only after
// the broker acknowledged the record and only if nothing changed meanwhile,
// so a crash republishes (consumers keep the latest per key; duplicates are
// harmless on a compacted topic) and a change is never skipped.
//
//   KafkaShareSink sink(producer);
//   SharePublisher publisher(repo, sink, clock);
//   runtime.AddJob("shares", [&] { return publisher.RunOnce().status(); },
//   absl::Milliseconds(200));
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/events/cloud_event.h"
#include "common/kafka/producer.h"
#include "common/time/clock.h"
#include "services/sync/domain/sync_repository.h"

namespace salesops::sync {

// Where the records go (Kafka in production, a recorder in unit tests).
class ShareSink {
 public:
  virtual ~ShareSink() = default;
  // `value` nullopt = tombstone. OK only once the record is durable.
  virtual absl::Status Publish(const std::string& key, const std::optional<std::string>& value,
                               const KafkaHeaders& headers) = 0;
};

class KafkaShareSink final : public ShareSink {
 public:
  KafkaShareSink(KafkaProducer& producer, std::string topic)
      : producer_(producer), topic_(std::move(topic)) {}
  absl::Status Publish(const std::string& key, const std::optional<std::string>& value,
                       const KafkaHeaders& headers) override;

 private:
  KafkaProducer& producer_;
  std::string topic_;
};

class SharePublisher {
 public:
  SharePublisher(SyncRepository& repo, ShareSink& sink, const Clock& clock)
      : repo_(repo), sink_(sink), clock_(clock) {}
  // Publishes up to `limit` due records; the number published.
  absl::StatusOr<int> RunOnce(int limit = 200);

 private:
  SyncRepository& repo_;
  ShareSink& sink_;
  const Clock& clock_;
};

}  // namespace salesops::sync
