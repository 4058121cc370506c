#include "common/kafka/admin.h"

#include <librdkafka/rdkafka.h>

#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace salesops {

absl::Status EnsureTopics(const std::string& bootstrap, const std::vector<TopicSpec>& topics,
                          absl::Duration timeout, const KafkaSasl& sasl) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof(err)) !=
      RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return InvalidField("kafka_bootstrap", err);
  }
  for (const auto& [k, v] : KafkaSaslProperties(sasl)) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return InvalidField(absl::StrCat("kafka.", k), err);
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (rk == nullptr) {
    return Internal("KAFKA_CREATE_FAILED", err);
  }
  std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)> handle(rk, &rd_kafka_destroy);
  // Which topics exist already: asking to create one we may not create would
  // fail the request with an authorization error, even though nothing is missing.
  std::set<std::string> existing;
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(rk, 1, nullptr, &md,
                        static_cast<int>(absl::ToInt64Milliseconds(timeout))) ==
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < md->topic_cnt; ++i) {
      if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        existing.insert(md->topics[i].topic);
      }
    }
    rd_kafka_metadata_destroy(md);
  }
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  for (const auto& t : topics) {
    if (existing.count(t.name) > 0) {
      continue;
    }
    rd_kafka_NewTopic_t* nt =
        rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, t.replication_factor, err, sizeof(err));
    if (nt == nullptr) {
      for (auto* p : new_topics) {
        rd_kafka_NewTopic_destroy(p);
      }
      return InvalidField("topic", absl::StrCat(t.name, ": ", err));
    }
    if (t.retention_ms > 0) {
      rd_kafka_NewTopic_set_config(nt, "retention.ms", std::to_string(t.retention_ms).c_str());
    }
    if (t.compact) {
      rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
    }
    new_topics.push_back(nt);
  }
  if (new_topics.empty()) {
    return absl::OkStatus();
  }
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(
      opts, static_cast<int>(absl::ToInt64Milliseconds(timeout)), err, sizeof(err));
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, new_topics.data(), new_topics.size(), opts, queue);
  rd_kafka_event_t* ev =
      rd_kafka_queue_poll(queue, static_cast<int>(absl::ToInt64Milliseconds(timeout)) + 2000);
  absl::Status status = absl::OkStatus();
  if (ev == nullptr) {
    status = Unavailable("KAFKA_ADMIN_TIMEOUT", "create topics: no answer from the broker");
  } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = Unavailable("KAFKA_ADMIN_FAILED", rd_kafka_event_error_string(ev));
  } else {
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
    for (size_t i = 0; i < n; ++i) {
      rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        status = Unavailable(
            "KAFKA_CREATE_TOPIC_FAILED",
            absl::StrCat(rd_kafka_topic_result_name(results[i]), ": ", rd_kafka_err2str(e)));
      }
    }
  }
  if (ev) {
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(opts);
  for (auto* p : new_topics) {
    rd_kafka_NewTopic_destroy(p);
  }
  return status;
}

}  // namespace salesops
