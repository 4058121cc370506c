#include "common/kafka/producer.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <librdkafka/rdkafkacpp.h>

#include <future>

#include "absl/strings/str_cat.h"
#include "common/kafka/kafka_log.h"
#include "common/log/log.h"
#include "common/status/errors.h"

namespace salesops {

class KafkaProducer::DeliveryReporter : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    auto* done = static_cast<DeliveryCallback*>(message.msg_opaque());
    if (done == nullptr) {
      return;
    }
    if (message.err() == RdKafka::ERR_NO_ERROR && message.offset() >= 0) {
      (*done)(absl::OkStatus());
    } else if (message.err() == RdKafka::ERR_NO_ERROR) {
      // No offset: a duplicate-sequence answer or an implicit ack (producer.h).
      (*done)(
          Unavailable("KAFKA_DELIVERY_UNCONFIRMED",
                      absl::StrCat("delivery to ", message.topic_name(), " [", message.partition(),
                                   "] acknowledged without an offset: not known to be stored")));
    } else {
      (*done)(Unavailable("KAFKA_DELIVERY_FAILED",
                          absl::StrCat("delivery to ", message.topic_name(),
                                       " failed: ", RdKafka::err2str(message.err()))));
    }
    delete done;
  }
};

KafkaProducer::KafkaProducer(ProducerOptions options) : options_(std::move(options)) {}

KafkaProducer::~KafkaProducer() { Stop(absl::ZeroDuration()); }

absl::Status KafkaProducer::Start() {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  reporter_ = std::make_unique<DeliveryReporter>();
  std::string err;
  std::map<std::string, std::string> props = {
      {"bootstrap.servers", options_.bootstrap},
      {"client.id", options_.client_id},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"message.timeout.ms", std::to_string(absl::ToInt64Milliseconds(options_.message_timeout))},
      {"linger.ms", std::to_string(absl::ToInt64Milliseconds(options_.linger))},
      {"compression.type", "lz4"},
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
  logger_ = std::make_unique<KafkaLogger>(options_.on_fatal);
  conf->set("event_cb", logger_.get(), err);
  if (conf->set("dr_cb", reporter_.get(), err) != RdKafka::Conf::CONF_OK) {
    return Internal("KAFKA_CONFIG", err);
  }
  producer_.reset(RdKafka::Producer::create(conf.get(), err));
  if (!producer_) {
    return Internal("KAFKA_CREATE_FAILED", err);
  }
  stopping_ = false;
  poll_thread_ = std::thread([this] { PollLoop(); });
  return absl::OkStatus();
}

void KafkaProducer::PollLoop() {
  while (!stopping_.load()) {
    producer_->poll(100);
  }
}

void KafkaProducer::Stop(absl::Duration flush_timeout) {
  if (!producer_) {
    return;
  }
  if (flush_timeout > absl::ZeroDuration()) {
    producer_->flush(static_cast<int>(absl::ToInt64Milliseconds(flush_timeout)));
  }
  stopping_ = true;
  if (poll_thread_.joinable()) {
    poll_thread_.join();
  }
  // Records still queued fail now (their callbacks run with an error), so
  // owners of pending work learn it was not delivered.
  producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
  producer_->poll(0);
  producer_.reset();
}

absl::Status KafkaProducer::Produce(const std::string& topic, const std::string& key,
                                    const std::string& value, const KafkaHeaders& headers,
                                    DeliveryCallback done) {
  return ProduceRaw(topic, key, value.data(), value.size(), headers, std::move(done));
}

absl::Status KafkaProducer::ProduceRaw(const std::string& topic, const std::string& key,
                                       const char* value, size_t value_size,
                                       const KafkaHeaders& headers, DeliveryCallback done) {
  if (!producer_) {
    return FailedPrecondition("KAFKA_NOT_STARTED", "producer not started");
  }
  auto* opaque = new DeliveryCallback(std::move(done));
  for (int attempt = 0;; ++attempt) {
    RdKafka::Headers* h = RdKafka::Headers::create();
    for (const auto& [name, v] : headers) {
      h->add(name, v.data(), v.size());
    }
    RdKafka::ErrorCode code = producer_->produce(
        topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
        const_cast<char*>(value), value_size, key.data(), key.size(), 0, h, opaque);
    if (code == RdKafka::ERR_NO_ERROR) {
      return absl::OkStatus();  // headers now owned by librdkafka
    }
    delete h;
    if (code == RdKafka::ERR__QUEUE_FULL && attempt < 100 && !stopping_.load()) {
      producer_->poll(50);  // let deliveries drain, then retry
      continue;
    }
    delete opaque;
    return Unavailable("KAFKA_PRODUCE_FAILED",
                       absl::StrCat("produce to ", topic, ": ", RdKafka::err2str(code)));
  }
}

absl::Status KafkaProducer::ProduceSync(const std::string& topic, const std::string& key,
                                        const std::string& value, const KafkaHeaders& headers,
                                        absl::Duration timeout) {
  auto promise = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> result = promise->get_future();
  absl::Status s = Produce(topic, key, value, headers,
                           [promise](absl::Status st) { promise->set_value(std::move(st)); });
  return Await(std::move(s), result, timeout);
}

absl::Status KafkaProducer::ProduceTombstoneSync(const std::string& topic, const std::string& key,
                                                 const KafkaHeaders& headers,
                                                 absl::Duration timeout) {
  auto promise = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> result = promise->get_future();
  absl::Status s = ProduceRaw(topic, key, nullptr, 0, headers,
                              [promise](absl::Status st) { promise->set_value(std::move(st)); });
  return Await(std::move(s), result, timeout);
}

absl::Status KafkaProducer::Await(absl::Status enqueued, std::future<absl::Status>& result,
                                  absl::Duration timeout) {
  if (!enqueued.ok()) {
    return enqueued;
  }
  if (result.wait_for(absl::ToChronoMilliseconds(timeout)) != std::future_status::ready) {
    return Unavailable("KAFKA_DELIVERY_TIMEOUT", "no delivery report in time");
  }
  return result.get();
}

absl::Status KafkaProducer::Flush(absl::Duration timeout) {
  if (!producer_) {
    return absl::OkStatus();
  }
  RdKafka::ErrorCode code = producer_->flush(static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  if (code != RdKafka::ERR_NO_ERROR) {
    return Unavailable("KAFKA_FLUSH_TIMEOUT", RdKafka::err2str(code));
  }
  return absl::OkStatus();
}

void KafkaProducer::RaiseFatalErrorForTest(const std::string& reason) {
  if (producer_) {
    rd_kafka_test_fatal_error(producer_->c_ptr(), RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                              reason.c_str());
  }
}

void KafkaProducer::InjectProduceErrorsForTest(const std::vector<int>& errors) {
  rd_kafka_mock_cluster_t* cluster =
      producer_ ? rd_kafka_handle_mock_cluster(producer_->c_ptr()) : nullptr;
  if (cluster == nullptr) {
    LogError("InjectProduceErrorsForTest: not a mock cluster producer");
    return;
  }
  std::vector<rd_kafka_resp_err_t> codes;
  for (int e : errors) {
    codes.push_back(static_cast<rd_kafka_resp_err_t>(e));
  }
  // ApiKey 0: Produce (the key constants are not in the public headers).
  rd_kafka_mock_push_request_errors_array(cluster, /*ApiKey=*/0, codes.size(), codes.data());
}

std::string KafkaProducer::MockBootstrapsForTest() const {
  rd_kafka_mock_cluster_t* cluster =
      producer_ ? rd_kafka_handle_mock_cluster(producer_->c_ptr()) : nullptr;
  return cluster == nullptr ? "" : rd_kafka_mock_cluster_bootstraps(cluster);
}

int KafkaProducer::OutQueueLength() const { return producer_ ? producer_->outq_len() : 0; }

}  // namespace salesops
