// Domain events as CloudEvents 1.0 in the Kafka protocol binding, binary mode:
// attributes travel as headers (ce_id, ce_source, ce_type, ce_subject, ce_time,
// ce_specversion, ce_dataschema, ce_traceparent), the payload is the protobuf
// event message named by ce_type, content-type is application/protobuf, and
// the record key is the aggregate id (so one aggregate's events stay ordered
// in a partition). ce_dataschema names the payload's protobuf message as a URI,
// "urn:salesops:proto:<full message name>", resolvable in the descriptor set
// every build writes (salesops.binpb, docs/events/README.md), so a consumer
// finds the schema from the record alone.
//
//   CloudEvent e = MakeCloudEvent("/salesops/org", unit_id, created_proto, clock.Now());
//   auto headers = ToKafkaHeaders(e);
//   absl::StatusOr<CloudEvent> back = FromKafkaRecord(key, value, headers);
//
// Consumers treat equal (source, id) as the same event.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace salesops {

inline constexpr char kCloudEventsSpecVersion[] = "1.0";
inline constexpr char kProtobufContentType[] = "application/protobuf";
inline constexpr char kDataSchemaPrefix[] = "urn:salesops:proto:";

struct CloudEvent {
  std::string id;
  std::string source;   // "/salesops/<service>"
  std::string type;     // full protobuf message name
  std::string subject;  // the aggregate, e.g. "orgUnits/abc"
  absl::Time time;
  std::string key;       // Kafka record key = aggregate id
  std::string trace_id;  // 32 hex chars or empty
  std::string data;      // serialized protobuf
};

using KafkaHeaders = std::vector<std::pair<std::string, std::string>>;

// A new event with a fresh UUID id.
CloudEvent MakeCloudEvent(std::string source, std::string key, std::string subject,
                          const google::protobuf::Message& payload, absl::Time time,
                          std::string trace_id = "");

// The ce_dataschema of an event whose ce_type is `type` (a full message name).
std::string DataSchemaOf(absl::string_view type);

KafkaHeaders ToKafkaHeaders(const CloudEvent& event);

// Validates the binding: all required attributes present, spec version 1.0,
// content type protobuf, time in RFC 3339, ce_dataschema (when present)
// naming ce_type's message. INVALID_ARGUMENT names what is wrong.
absl::StatusOr<CloudEvent> FromKafkaRecord(std::string key, std::string value,
                                           const KafkaHeaders& headers);

// Parses event.data as M after checking that ce_type names M.
template <typename M>
absl::StatusOr<M> DecodePayload(const CloudEvent& event);

// The W3C traceparent for a trace id ("" when the trace id is empty).
std::string TraceParent(const std::string& trace_id);
std::string TraceIdFromTraceParent(const std::string& traceparent);

std::string FormatRfc3339(absl::Time t);

absl::Status CheckPayloadType(const CloudEvent& event, const std::string& full_name);

template <typename M>
absl::StatusOr<M> DecodePayload(const CloudEvent& event) {
  if (absl::Status s = CheckPayloadType(event, M::descriptor()->full_name()); !s.ok()) {
    return s;
  }
  M m;
  if (!m.ParseFromString(event.data)) {
    return absl::InvalidArgumentError("payload does not parse as " + event.type);
  }
  return m;
}

}  // namespace salesops
