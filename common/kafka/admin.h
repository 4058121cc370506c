// Topic administration: services create the topics they publish to and the
// dead-letter topics they own at start-up, with explicit partition counts
// (brokers run with auto-create off). With ACLs a service may create only its
// own topics, so topics that exist already (e.g. another service's, created by
// the deploy scripts) are left out of the request.
//
//   SALESOPS_RETURN_IF_ERROR(EnsureTopics(bootstrap, {{"salesops.org.events.v1", 3}},
//                                         absl::Seconds(10), sasl));
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/kafka/sasl.h"

namespace salesops {

struct TopicSpec {
  std::string name;
  int partitions = 3;
  int replication_factor = 1;
  // retention.ms; 0 keeps the broker default.
  int64_t retention_ms = 0;
  // cleanup.policy=compact: the latest record per key is kept (state topics).
  bool compact = false;
};

// Creates the topics that do not exist yet (as far as this user may see);
// existing ones are left alone. UNAVAILABLE when the broker cannot be reached
// in time or refuses a creation (e.g. TOPIC_AUTHORIZATION_FAILED).
absl::Status EnsureTopics(const std::string& bootstrap, const std::vector<TopicSpec>& topics,
                          absl::Duration timeout, const KafkaSasl& sasl = {});

}  // namespace salesops
