#include "common/events/cloud_event.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/ids/ids.h"
#include "common/status/errors.h"

namespace salesops {

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

std::string TraceParent(const std::string& trace_id) {
  if (trace_id.size() != 32) {
    return "";
  }
  // The span id is not tracked separately; a fixed non-zero one keeps the format valid.
  return absl::StrCat("00-", trace_id, "-0000000000000001-01");
}

std::string TraceIdFromTraceParent(const std::string& traceparent) {
  std::vector<std::string> parts = absl::StrSplit(traceparent, '-');
  if (parts.size() == 4 && parts[1].size() == 32) {
    return parts[1];
  }
  return "";
}

CloudEvent MakeCloudEvent(std::string source, std::string key, std::string subject,
                          const google::protobuf::Message& payload, absl::Time time,
                          std::string trace_id) {
  CloudEvent e;
  e.id = NewUuid();
  e.source = std::move(source);
  e.type = payload.GetDescriptor()->full_name();
  e.subject = std::move(subject);
  e.time = time;
  e.key = std::move(key);
  e.trace_id = std::move(trace_id);
  e.data = payload.SerializeAsString();
  return e;
}

std::string DataSchemaOf(absl::string_view type) { return absl::StrCat(kDataSchemaPrefix, type); }

KafkaHeaders ToKafkaHeaders(const CloudEvent& e) {
  KafkaHeaders h = {
      {"ce_specversion", kCloudEventsSpecVersion},
      {"ce_id", e.id},
      {"ce_source", e.source},
      {"ce_type", e.type},
      {"ce_time", FormatRfc3339(e.time)},
      {"ce_dataschema", DataSchemaOf(e.type)},
      {"content-type", kProtobufContentType},
  };
  if (!e.subject.empty()) {
    h.emplace_back("ce_subject", e.subject);
  }
  if (std::string tp = TraceParent(e.trace_id); !tp.empty()) {
    h.emplace_back("ce_traceparent", tp);
  }
  return h;
}

absl::StatusOr<CloudEvent> FromKafkaRecord(std::string key, std::string value,
                                           const KafkaHeaders& headers) {
  CloudEvent e;
  std::string specversion, content_type, time, traceparent, dataschema;
  bool has_dataschema = false;
  for (const auto& [name, v] : headers) {
    if (name == "ce_id") {
      e.id = v;
    } else if (name == "ce_source") {
      e.source = v;
    } else if (name == "ce_type") {
      e.type = v;
    } else if (name == "ce_subject") {
      e.subject = v;
    } else if (name == "ce_time") {
      time = v;
    } else if (name == "ce_specversion") {
      specversion = v;
    } else if (name == "content-type") {
      content_type = v;
    } else if (name == "ce_traceparent") {
      traceparent = v;
    } else if (name == "ce_dataschema") {
      dataschema = v;
      has_dataschema = true;
    }
  }
  Violations violations;
  if (specversion != kCloudEventsSpecVersion) {
    violations.Add("ce_specversion",
                   absl::StrCat("must be 1.0, got ", QuoteUntrusted(specversion)));
  }
  if (e.id.empty()) {
    violations.Add("ce_id", "missing");
  }
  if (e.source.empty()) {
    violations.Add("ce_source", "missing");
  }
  if (e.type.empty()) {
    violations.Add("ce_type", "missing");
  }
  // Optional (records written before it was added have none); when present it
  // must name the same message as ce_type.
  if (has_dataschema && !e.type.empty() && dataschema != DataSchemaOf(e.type)) {
    violations.Add("ce_dataschema", absl::StrCat("must be ", DataSchemaOf(e.type), ", got ",
                                                 QuoteUntrusted(dataschema)));
  }
  if (content_type != kProtobufContentType) {
    violations.Add("content-type", absl::StrCat("must be application/protobuf, got ",
                                                QuoteUntrusted(content_type)));
  }
  std::string err;
  if (!time.empty() && !absl::ParseTime(absl::RFC3339_full, time, &e.time, &err)) {
    violations.Add("ce_time", absl::StrCat("not RFC 3339: ", QuoteUntrusted(time)));
  }
  if (absl::Status s = violations.Finish("MALFORMED_CLOUD_EVENT"); !s.ok()) {
    return s;
  }
  e.key = std::move(key);
  e.data = std::move(value);
  e.trace_id = TraceIdFromTraceParent(traceparent);
  return e;
}

absl::Status CheckPayloadType(const CloudEvent& event, const std::string& full_name) {
  if (event.type != full_name) {
    return InvalidField("ce_type",
                        absl::StrCat("expected ", full_name, ", got ", QuoteUntrusted(event.type)));
  }
  return absl::OkStatus();
}

}  // namespace salesops
