#include "common/kafka/consumer.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/kafka/kafka_log.h"
#include "common/kafka/record_batch.h"
#include "common/log/log.h"
#include "common/status/errors.h"

namespace salesops {

std::map<std::string, std::string> PatientFetch(absl::Duration wait) {
  const int64_t ms = absl::ToInt64Milliseconds(wait);
  if (ms <= 0) {
    return {};
  }
  return {{"fetch.wait.max.ms", std::to_string(ms)},
          {"fetch.min.bytes", std::to_string(kPatientFetchBytes)}};
}

bool Behind(const ConsumerStats& stats, int64_t max_lag) {
  return stats.assigned.load() > 0 && (stats.ends_known.load() == 0 || stats.lag.load() > max_lag);
}

std::function<bool()> BehindPredicate(const ConsumerStats* const* stats, int64_t max_lag) {
  if (max_lag < 0) {
    return nullptr;
  }
  return [stats, max_lag] { return *stats != nullptr && Behind(**stats, max_lag); };
}

class KafkaEventConsumer::Rebalancer : public RdKafka::RebalanceCb {
 public:
  explicit Rebalancer(ConsumerStats& stats) : stats_(stats) {}

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      LogInfo("kafka partitions assigned", {{"count", partitions.size()}});
      // Until the next refresh nothing is known of the new partitions' ends:
      // the records they bring may be a backlog.
      stats_.ends_known = 0;
      stats_.caught_up = 0;
      stats_.assigned += static_cast<int64_t>(partitions.size());
      if (consumer->rebalance_protocol() == "COOPERATIVE") {
        consumer->incremental_assign(partitions);
      } else {
        consumer->assign(partitions);
      }
    } else {
      // Commit what was processed before giving the partitions away, so the
      // next owner does not redo it (it would be harmless, but wasteful).
      consumer->commitSync();
      LogInfo("kafka partitions revoked", {{"count", partitions.size()}});
      if (consumer->rebalance_protocol() == "COOPERATIVE") {
        consumer->incremental_unassign(partitions);
      } else {
        consumer->unassign();
      }
      stats_.assigned =
          std::max<int64_t>(0, stats_.assigned.load() - static_cast<int64_t>(partitions.size()));
    }
  }

 private:
  ConsumerStats& stats_;
};

std::string ConventionalTopicOwner(absl::string_view topic) {
  constexpr absl::string_view kPrefix = "salesops.";
  constexpr absl::string_view kSuffix = ".events.v1";
  if (!absl::ConsumePrefix(&topic, kPrefix) || !absl::ConsumeSuffix(&topic, kSuffix) ||
      topic.empty() || absl::StrContains(topic, '.')) {
    return "";
  }
  return std::string(topic);
}

absl::Status CheckProvenance(const CloudEvent& event, absl::string_view owner) {
  const std::string source = absl::StrCat("/salesops/", owner);
  if (event.source != source) {
    return PermissionDenied(
        "EVENT_PROVENANCE",
        absl::StrCat("ce_source '", event.source, "' is not the topic owner's ('", source, "')"));
  }
  const std::string type_prefix = absl::StrCat("salesops.", owner, ".v1.");
  if (!absl::StartsWith(event.type, type_prefix) || event.type.size() == type_prefix.size()) {
    return PermissionDenied("EVENT_PROVENANCE", absl::StrCat("ce_type '", event.type,
                                                             "' is not one of the topic owner's ('",
                                                             type_prefix, "*')"));
  }
  return absl::OkStatus();
}

KafkaEventConsumer::KafkaEventConsumer(ConsumerOptions options, EventHandler& handler,
                                       KafkaProducer& dlq_producer)
    : options_(std::move(options)), handler_(handler), dlq_producer_(dlq_producer) {}

KafkaEventConsumer::~KafkaEventConsumer() { Stop(); }

absl::Status KafkaEventConsumer::Start() {
  for (const std::string& topic : options_.topics) {
    if (options_.topic_owners.count(topic) > 0) {
      continue;
    }
    std::string owner = ConventionalTopicOwner(topic);
    if (owner.empty()) {
      return InvalidField("topic_owners",
                          absl::StrCat("consumer group ", options_.group_id, ": topic ", topic,
                                       " has no declared owner (whose events may it carry?)"));
    }
    options_.topic_owners[topic] = std::move(owner);
  }
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  rebalancer_ = std::make_unique<Rebalancer>(stats_);
  std::string err;
  std::map<std::string, std::string> props = {
      {"bootstrap.servers", options_.bootstrap},
      {"group.id", options_.group_id},
      {"enable.auto.commit", "true"},
      {"enable.auto.offset.store", "false"},
      {"auto.commit.interval.ms", "1000"},
      {"auto.offset.reset", "earliest"},
      {"session.timeout.ms", "10000"},
      {"heartbeat.interval.ms", "1000"},
      {"topic.metadata.refresh.interval.ms", "5000"},
      {"reconnect.backoff.max.ms", "1000"},
  };
  for (const auto& [k, v] : KafkaSaslProperties(options_.sasl)) {
    props[k] = v;
  }
  for (const auto& [k, v] : options_.extra) {
    props[k] = v;
  }
  for (const auto& [k, v] : props) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      return InvalidField(absl::StrCat("kafka.", k), err);
    }
  }
  conf->set("rebalance_cb", rebalancer_.get(), err);
  logger_ = std::make_unique<KafkaLogger>();
  conf->set("event_cb", logger_.get(), err);
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer_) {
    return Internal("KAFKA_CREATE_FAILED", err);
  }
  RdKafka::ErrorCode code = consumer_->subscribe(options_.topics);
  if (code != RdKafka::ERR_NO_ERROR) {
    return Internal("KAFKA_SUBSCRIBE_FAILED", RdKafka::err2str(code));
  }
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void KafkaEventConsumer::Stop() {
  if (!consumer_) {
    return;
  }
  stopping_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
  consumer_->commitSync();  // stored offsets
  consumer_->close();
  consumer_.reset();
}

void KafkaEventConsumer::Loop() {
  absl::Time next_lag = absl::Now();
  absl::Time last_lag = absl::InfinitePast();
  while (!stopping_.load()) {
    RecordBatch batch = NextBatch(*consumer_, 200, options_.max_batch);
    if (!batch.empty()) {
      if (!ProcessBatch(batch)) {
        return;  // stopping mid-retry: offsets stay, the records are redone later
      }
      StoreOffsetsAfter(*consumer_, batch);
    }
    // After the batch is handled: the position counts what was taken, so
    // earlier a whole batch would read as caught up before it was applied.
    // And sooner after an assignment, until the new partitions' ends are known
    // (not on every batch: a refresh may ask the broker for committed offsets).
    const bool ends_unknown = stats_.assigned.load() > 0 && stats_.ends_known.load() == 0;
    if (absl::Now() >= next_lag ||
        (ends_unknown && absl::Now() >= last_lag + absl::Milliseconds(100))) {
      RefreshLag();
      last_lag = absl::Now();
      next_lag = last_lag + absl::Seconds(1);
    }
  }
}

namespace {

KafkaHeaders HeadersOf(RdKafka::Message& message) {
  KafkaHeaders headers;
  if (const RdKafka::Headers* h = message.headers(); h != nullptr) {
    for (const auto& header : h->get_all()) {
      headers.emplace_back(
          header.key(), std::string(static_cast<const char*>(header.value()), header.value_size()));
    }
  }
  return headers;
}

}  // namespace

bool KafkaEventConsumer::ProcessBatch(RecordBatch& batch) {
  if (batch.size() == 1) {
    return Process(*batch[0]);
  }
  const std::vector<bool> done = HandledTogether(
      batch, [&](RdKafka::Message& m) { return Decode(m); },
      [&](const std::vector<const CloudEvent*>& events) { return handler_.HandleBatch(events); });
  stats_.processed += std::count(done.begin(), done.end(), true);
  // Undecodable or foreign records and first-try failures take the one-by-one
  // path (retries, dead-lettering), in their original order. A stop ends it
  // after the record it is on, not after the batch (up to max_batch records
  // one by one, seconds): the offsets of the records before the next one are
  // stored, and the rest are redone after restart (applied together already
  // or not: the handler's apply is effectively once).
  for (size_t i = 0; i < batch.size(); ++i) {
    if (done[i]) {
      continue;
    }
    if (stopping_.load() || !Process(*batch[i])) {
      StoreOffsetsAfter(*consumer_, batch, i);
      return false;
    }
  }
  return true;
}

absl::StatusOr<CloudEvent> KafkaEventConsumer::Decode(RdKafka::Message& message) const {
  absl::StatusOr<CloudEvent> event = FromKafkaRecord(
      message.key() ? *message.key() : "",
      std::string(static_cast<const char*>(message.payload()), message.len()), HeadersOf(message));
  if (!event.ok()) {
    return event;
  }
  auto owner = options_.topic_owners.find(message.topic_name());
  if (owner == options_.topic_owners.end()) {
    // Subscribed topics all have an owner (Start); anything else is not ours to trust.
    return PermissionDenied("EVENT_PROVENANCE",
                            absl::StrCat("topic ", message.topic_name(), " has no declared owner"));
  }
  if (absl::Status s = CheckProvenance(*event, owner->second); !s.ok()) {
    return s;
  }
  return event;
}

bool KafkaEventConsumer::Process(RdKafka::Message& message) {
  absl::StatusOr<CloudEvent> event = Decode(message);
  if (!event.ok()) {
    return DeadLetter(message, event.status(), 1);
  }
  ScopedTraceId trace(event->trace_id);
  absl::Duration backoff = options_.retry_backoff;
  int failures = 0;
  while (true) {
    absl::Status s = handler_.Handle(*event);
    if (s.ok()) {
      ++stats_.processed;
      return true;
    }
    ++stats_.retries;
    if (!IsRetryable(s)) {
      ++failures;
      // INVALID_ARGUMENT says the record itself is bad: another try reads
      // the same bytes, so it goes to the dead-letter topic at once instead
      // of holding its partition back through the backoff.
      if (failures >= options_.max_attempts || s.code() == absl::StatusCode::kInvalidArgument) {
        return DeadLetter(message, s, failures);
      }
    } else {
      LogWarning("event handling will be retried",
                 {{"event_id", event->id}, {"error", std::string(s.message())}});
    }
    absl::Time until = absl::Now() + backoff;
    while (absl::Now() < until) {
      if (stopping_.load()) {
        return false;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    backoff = std::min(backoff * 2, options_.max_retry_backoff);
  }
}

bool KafkaEventConsumer::DeadLetter(RdKafka::Message& message, const absl::Status& why,
                                    int attempts) {
  KafkaHeaders headers;
  if (const RdKafka::Headers* h = message.headers(); h != nullptr) {
    for (const auto& header : h->get_all()) {
      headers.emplace_back(
          header.key(), std::string(static_cast<const char*>(header.value()), header.value_size()));
    }
  }
  headers.emplace_back("x-salesops-dlq-reason", std::string(why.message()));
  headers.emplace_back("x-salesops-dlq-code", absl::StatusCodeToString(why.code()));
  headers.emplace_back("x-salesops-dlq-topic", message.topic_name());
  headers.emplace_back("x-salesops-dlq-partition", std::to_string(message.partition()));
  headers.emplace_back("x-salesops-dlq-offset", std::to_string(message.offset()));
  headers.emplace_back("x-salesops-dlq-attempts", std::to_string(attempts));
  headers.emplace_back("x-salesops-dlq-group", options_.group_id);
  std::string key = message.key() ? *message.key() : "";
  std::string value(static_cast<const char*>(message.payload()), message.len());
  LogWarning("dead-lettering record", {{"topic", message.topic_name()},
                                       {"partition", message.partition()},
                                       {"offset", message.offset()},
                                       {"reason", std::string(why.message())}});
  // The record must be durable on the DLQ before its offset moves on; wait
  // (retrying) until it is, or until we are asked to stop.
  absl::Duration backoff = options_.retry_backoff;
  while (true) {
    // Wait longer than the producer's message timeout, so a retry never
    // queues a second copy while the first may still be delivered.
    absl::Status s =
        dlq_producer_.ProduceSync(options_.dlq_topic, key, value, headers, absl::Seconds(90));
    if (s.ok()) {
      ++stats_.dead_lettered;
      return true;
    }
    LogError("dead-letter publish failed; retrying", {{"error", std::string(s.message())}});
    if (stopping_.load()) {
      return false;  // not stored: the record is redone after restart
    }
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, options_.max_retry_backoff);
  }
}

void KafkaEventConsumer::RefreshLag() {
  std::vector<RdKafka::TopicPartition*> parts;
  if (consumer_->assignment(parts) != RdKafka::ERR_NO_ERROR) {
    return;
  }
  consumer_->position(parts);
  // A partition the loop has consumed nothing from since it was assigned has
  // no position yet: it resumes at the group's committed offset (a restarted
  // service), or at the beginning when there is none. Without this, a
  // partition with no new records never counted as caught up.
  std::vector<RdKafka::TopicPartition*> unread;
  for (auto* tp : parts) {
    if (tp->offset() < 0) {
      unread.push_back(RdKafka::TopicPartition::create(tp->topic(), tp->partition()));
    }
  }
  absl::flat_hash_map<std::pair<std::string, int>, int64_t> committed;
  if (!unread.empty() && consumer_->committed(unread, 2000) == RdKafka::ERR_NO_ERROR) {
    for (auto* tp : unread) {
      committed[{tp->topic(), tp->partition()}] = tp->offset();
    }
  }
  RdKafka::TopicPartition::destroy(unread);
  int64_t lag = 0;
  bool ends_known = !parts.empty();
  for (auto* tp : parts) {
    int64_t low = 0, high = 0;
    if (consumer_->get_watermark_offsets(tp->topic(), tp->partition(), &low, &high) ==
            RdKafka::ERR_NO_ERROR &&
        high >= 0) {
      int64_t pos = tp->offset();
      if (pos < 0) {
        auto it = committed.find({tp->topic(), tp->partition()});
        pos = it != committed.end() && it->second >= 0 ? it->second : low;
      }
      lag += std::max<int64_t>(0, high - pos);
    } else {
      ends_known = false;  // no fetch answered yet: not "nothing to do"
    }
  }
  stats_.assigned = static_cast<int64_t>(parts.size());
  RdKafka::TopicPartition::destroy(parts);
  stats_.lag = lag;
  stats_.ends_known = ends_known ? 1 : 0;
  stats_.caught_up = ends_known && lag == 0 ? 1 : 0;
}

}  // namespace salesops
