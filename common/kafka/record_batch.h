// The batch half of a Kafka reader, shared by the services' consumer
// (consumer.h) and the gateway's source: take the records already fetched,
// hand the decodable ones over together, store the offsets after them.
//
//   auto batch = NextBatch(*consumer, /*wait_ms=*/200, /*max=*/256);
//   std::vector<bool> done = HandledTogether(batch, decode, handle_batch);
//   ... the records not done, one by one ...
//   StoreOffsetsAfter(*consumer, batch);
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/events/cloud_event.h"

namespace RdKafka {
class KafkaConsumer;
class Message;
}  // namespace RdKafka

namespace salesops {

using RecordBatch = std::vector<std::unique_ptr<RdKafka::Message>>;

// The next record, waiting up to `wait_ms`, then those already fetched, up to
// `max` in all (never waits to fill). Empty when nothing came. A consume error
// other than a timeout or a partition's end (broker down, a topic not created
// yet: librdkafka recovers by itself) is logged and ends the batch.
RecordBatch NextBatch(RdKafka::KafkaConsumer& consumer, int wait_ms, int max);

// Hands the records of `batch` that `decode` accepts to `handle` in one call
// (none when there are none) and answers, per record, whether `handle` said OK.
std::vector<bool> HandledTogether(
    const RecordBatch& batch,
    const std::function<absl::StatusOr<CloudEvent>(RdKafka::Message&)>& decode,
    const std::function<std::vector<absl::Status>(const std::vector<const CloudEvent*>&)>& handle);

// Stores, per partition, the offset after the last of the batch's first
// `count` records (all by default; committed with the consumer's next commit).
// Records come in offset order per partition, so a prefix of the batch is a
// prefix of each partition's part.
void StoreOffsetsAfter(RdKafka::KafkaConsumer& consumer, const RecordBatch& batch,
                       size_t count = static_cast<size_t>(-1));

}  // namespace salesops
