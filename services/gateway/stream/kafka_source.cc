#include "services/gateway/stream/kafka_source.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/kafka/consumer.h"
#include "common/kafka/kafka_log.h"
#include "common/kafka/record_batch.h"
#include "common/log/log.h"
#include "common/status/errors.h"

namespace salesops::gateway {

class KafkaSource::Rebalancer : public RdKafka::RebalanceCb {
 public:
  Rebalancer(bool from_end, KafkaSourceStats& stats) : from_end_(from_end), stats_(stats) {}

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      if (from_end_) {
        // The end as the broker has it now; "latest" would be looked up only
        // at the first fetch, and an event produced in between would be lost.
        for (RdKafka::TopicPartition* tp : partitions) {
          int64_t low = 0, high = 0;
          if (consumer->query_watermark_offsets(tp->topic(), tp->partition(), &low, &high, 5000) ==
              RdKafka::ERR_NO_ERROR) {
            tp->set_offset(high);
          } else {
            tp->set_offset(RdKafka::Topic::OFFSET_END);
          }
        }
      }
      consumer->assign(partitions);
      stats_.assigned = static_cast<int64_t>(partitions.size());
      LogInfo("kafka partitions assigned", {{"count", partitions.size()}, {"from_end", from_end_}});
    } else {
      if (!from_end_) {
        consumer->commitSync();
      }
      consumer->unassign();
      stats_.assigned = 0;
      LogInfo("kafka partitions revoked", {{"count", partitions.size()}});
    }
  }

 private:
  const bool from_end_;
  KafkaSourceStats& stats_;
};

KafkaSource::KafkaSource(KafkaSourceOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

KafkaSource::~KafkaSource() { Stop(); }

absl::Status KafkaSource::Start() {
  for (const std::string& topic : options_.topics) {
    std::string owner = ConventionalTopicOwner(topic);
    if (owner.empty()) {
      return InvalidField("topics", absl::StrCat(topic,
                                                 " is not salesops.<service>.events.v1: "
                                                 "whose events may it carry?"));
    }
    owners_[topic] = std::move(owner);
  }
  if (batch_handler_ && options_.from_end) {
    return InvalidField("batch_handler", "a live source hands its records over one by one");
  }
  std::map<std::string, std::string> props = {
      {"bootstrap.servers", options_.bootstrap},
      {"group.id", options_.group_id},
      {"enable.auto.commit", options_.from_end ? "false" : "true"},
      {"enable.auto.offset.store", "false"},
      {"auto.commit.interval.ms", "1000"},
      {"auto.offset.reset", options_.from_end ? "latest" : "earliest"},
      {"session.timeout.ms", "10000"},
      {"heartbeat.interval.ms", "1000"},
      {"topic.metadata.refresh.interval.ms", "5000"},
      {"reconnect.backoff.max.ms", "1000"},
      // Latency over batching: the stream is watched by people.
      {"fetch.wait.max.ms", "20"},
      {"client.id", "salesops-gateway"},
  };
  for (const auto& [k, v] : KafkaSaslProperties(options_.sasl)) {
    props[k] = v;
  }
  for (const auto& [k, v] : options_.extra) {
    props[k] = v;
  }
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : props) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      return InvalidField(absl::StrCat("kafka.", k), err);
    }
  }
  rebalancer_ = std::make_unique<Rebalancer>(options_.from_end, stats_);
  conf->set("rebalance_cb", rebalancer_.get(), err);
  logger_ = std::make_unique<KafkaLogger>();
  conf->set("event_cb", logger_.get(), err);
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer_) {
    return Internal("KAFKA_CREATE_FAILED", err);
  }
  if (RdKafka::ErrorCode code = consumer_->subscribe(options_.topics);
      code != RdKafka::ERR_NO_ERROR) {
    return Internal("KAFKA_SUBSCRIBE_FAILED", RdKafka::err2str(code));
  }
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void KafkaSource::Stop() {
  if (!consumer_) {
    return;
  }
  stopping_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
  if (!options_.from_end) {
    consumer_->commitSync();
  }
  consumer_->close();
  consumer_.reset();
  stats_.assigned = 0;
}

void KafkaSource::Loop() {
  absl::Time next_lag = absl::Now();
  // With a batch handler, the records already fetched too.
  const int max_batch = batch_handler_ ? std::max(1, options_.max_batch) : 1;
  while (!stopping_.load()) {
    RecordBatch batch = NextBatch(*consumer_, 100, max_batch);
    if (!batch.empty()) {
      if (!ProcessBatch(batch)) {
        return;  // stopping mid-retry: the offsets stay
      }
      if (!options_.from_end) {
        StoreOffsetsAfter(*consumer_, batch);
      }
    }
    // After the batch is handled (the position counts what was taken).
    if (absl::Now() >= next_lag) {
      RefreshLag();
      next_lag = absl::Now() + absl::Seconds(1);
    }
  }
}

absl::StatusOr<CloudEvent> KafkaSource::Decode(RdKafka::Message& message) const {
  KafkaHeaders headers;
  if (const RdKafka::Headers* h = message.headers(); h != nullptr) {
    for (const auto& header : h->get_all()) {
      headers.emplace_back(
          header.key(), std::string(static_cast<const char*>(header.value()), header.value_size()));
    }
  }
  absl::StatusOr<CloudEvent> event = FromKafkaRecord(
      message.key() ? *message.key() : "",
      std::string(static_cast<const char*>(message.payload()), message.len()), headers);
  if (!event.ok()) {
    return event;
  }
  auto owner = owners_.find(message.topic_name());
  absl::Status provenance =
      owner == owners_.end() ? PermissionDenied("EVENT_PROVENANCE", "topic has no declared owner")
                             : CheckProvenance(*event, owner->second);
  if (!provenance.ok()) {
    return provenance;
  }
  return event;
}

bool KafkaSource::ProcessBatch(RecordBatch& batch) {
  std::vector<bool> done(batch.size(), false);
  if (batch.size() > 1) {
    done = HandledTogether(
        batch, [&](RdKafka::Message& m) { return Decode(m); }, batch_handler_);
    const int64_t n = std::count(done.begin(), done.end(), true);
    stats_.processed += n;
    stats_.batched += n;
  }
  // The rest (undecodable or foreign records, first-try failures) one by one,
  // in their order, until a stop: the records before the next one are
  // stored as read, the rest redone later.
  for (size_t i = 0; i < batch.size(); ++i) {
    if (done[i]) {
      continue;
    }
    if (stopping_.load() || !Process(*batch[i])) {
      if (!options_.from_end) {
        StoreOffsetsAfter(*consumer_, batch, i);
      }
      return false;
    }
  }
  return true;
}

bool KafkaSource::Process(RdKafka::Message& message) {
  const StreamPosition at{message.topic_name(), message.partition(), message.offset()};
  absl::StatusOr<CloudEvent> event = Decode(message);
  if (!event.ok()) {
    ++stats_.skipped;
    LogWarning("skipping kafka record",
               {{"id", FormatStreamId(at)}, {"error", std::string(event.status().message())}});
    return true;
  }
  ScopedTraceId trace(event->trace_id);
  absl::Duration backoff = options_.retry_backoff;
  int failures = 0;
  while (true) {
    absl::Status s = handler_(at, *event);
    if (s.ok()) {
      ++stats_.processed;
      return true;
    }
    if (!IsRetryable(s) && ++failures >= options_.max_attempts) {
      ++stats_.skipped;
      LogError("skipping event that keeps failing", {{"id", FormatStreamId(at)},
                                                     {"event_id", event->id},
                                                     {"type", event->type},
                                                     {"error", std::string(s.message())}});
      return true;
    }
    LogWarning("event handling will be retried",
               {{"event_id", event->id}, {"error", std::string(s.message())}});
    const absl::Time until = absl::Now() + backoff;
    while (absl::Now() < until) {
      if (stopping_.load()) {
        return false;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    backoff = std::min(backoff * 2, options_.max_retry_backoff);
  }
}

void KafkaSource::RefreshLag() {
  std::vector<RdKafka::TopicPartition*> parts;
  if (consumer_->assignment(parts) != RdKafka::ERR_NO_ERROR) {
    return;
  }
  consumer_->position(parts);
  int64_t lag = 0;
  bool ends_known = !parts.empty();
  for (auto* tp : parts) {
    int64_t low = 0, high = 0;
    if (consumer_->get_watermark_offsets(tp->topic(), tp->partition(), &low, &high) ==
            RdKafka::ERR_NO_ERROR &&
        high >= 0) {
      const int64_t pos = tp->offset() >= 0 ? tp->offset() : low;
      lag += std::max<int64_t>(0, high - pos);
    } else {
      ends_known = false;
    }
  }
  RdKafka::TopicPartition::destroy(parts);
  stats_.lag = lag;
  stats_.caught_up = ends_known && lag == 0 ? 1 : 0;
}

}  // namespace salesops::gateway
