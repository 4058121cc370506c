#include "common/kafka/record_batch.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "common/log/log.h"

namespace salesops {

RecordBatch NextBatch(RdKafka::KafkaConsumer& consumer, int wait_ms, int max) {
  RecordBatch batch;
  std::unique_ptr<RdKafka::Message> msg(consumer.consume(wait_ms));
  while (true) {
    const RdKafka::ErrorCode err = msg->err();
    if (err == RdKafka::ERR_NO_ERROR) {
      batch.push_back(std::move(msg));
    } else if (err != RdKafka::ERR__TIMED_OUT && err != RdKafka::ERR__PARTITION_EOF) {
      LogWarning("kafka consume error", {{"error", msg->errstr()}});
    }
    if (err != RdKafka::ERR_NO_ERROR || static_cast<int>(batch.size()) >= max) {
      return batch;
    }
    msg.reset(consumer.consume(0));
  }
}

std::vector<bool> HandledTogether(
    const RecordBatch& batch,
    const std::function<absl::StatusOr<CloudEvent>(RdKafka::Message&)>& decode,
    const std::function<std::vector<absl::Status>(const std::vector<const CloudEvent*>&)>& handle) {
  std::vector<bool> done(batch.size(), false);
  std::vector<CloudEvent> events;
  std::vector<size_t> index;  // events[k] came from batch[index[k]]
  events.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    absl::StatusOr<CloudEvent> e = decode(*batch[i]);
    if (e.ok()) {
      events.push_back(*std::move(e));
      index.push_back(i);
    }
  }
  if (events.empty()) {
    return done;
  }
  std::vector<const CloudEvent*> ptrs;
  ptrs.reserve(events.size());
  for (const CloudEvent& e : events) {
    ptrs.push_back(&e);
  }
  const std::vector<absl::Status> results = handle(ptrs);
  for (size_t k = 0; k < results.size() && k < index.size(); ++k) {
    done[index[k]] = results[k].ok();
  }
  return done;
}

void StoreOffsetsAfter(RdKafka::KafkaConsumer& consumer, const RecordBatch& batch, size_t count) {
  std::map<std::pair<std::string, int32_t>, int64_t> next;
  for (size_t i = 0; i < batch.size() && i < count; ++i) {
    const auto& m = batch[i];
    auto& o = next[{m->topic_name(), m->partition()}];
    o = std::max(o, m->offset() + 1);
  }
  if (next.empty()) {
    return;
  }
  std::vector<RdKafka::TopicPartition*> offsets;
  for (const auto& [tp, off] : next) {
    offsets.push_back(RdKafka::TopicPartition::create(tp.first, tp.second, off));
  }
  consumer.offsets_store(offsets);
  RdKafka::TopicPartition::destroy(offsets);
}

}  // namespace salesops
