#include "services/gateway/stream/stream_feed.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "services/gateway/stream/sse_format.h"

namespace salesops::gateway {

absl::StatusOr<StreamEvent> RenderStreamEvent(const StreamPosition& at, const CloudEvent& event,
                                              OrgView& org) {
  const google::protobuf::Descriptor* d =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(event.type);
  const google::protobuf::Message* prototype =
      d == nullptr ? nullptr
                   : google::protobuf::MessageFactory::generated_factory()->GetPrototype(d);
  if (prototype == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("event type ", event.type, " is not known to this gateway"));
  }
  std::shared_ptr<google::protobuf::Message> payload(prototype->New());
  if (!payload->ParseFromString(event.data)) {
    return absl::InvalidArgumentError(absl::StrCat("payload does not parse as ", event.type));
  }
  StreamEvent out;
  out.position = at;
  out.type = event.type;
  out.scope = ScopeOfEvent(*payload);
  ResolveScope(org, &out.scope);
  out.frame =
      std::make_shared<const LazyFrame>([payload, id = FormatStreamId(at), type = event.type,
                                         event_id = event.id, trace = event.trace_id] {
        std::string json;
        if (auto s = google::protobuf::util::MessageToJsonString(*payload, &json); !s.ok()) {
          // Our events always have one (a Timestamp out of JSON's range would
          // not); should one not, it is left out of the stream (an empty frame)
          // and said so once, here.
          LogWarning("stream event has no JSON form; not sent",
                     {{"id", id},
                      {"type", type},
                      {"event_id", event_id},
                      {"trace_id", trace},
                      {"error", std::string(s.message().data(), s.message().size())}});
          return std::string();
        }
        return EventFrame(id, type, json);
      });
  return out;
}

absl::Status StreamFeed::Handle(const StreamPosition& at, const CloudEvent& event) {
  absl::StatusOr<StreamEvent> e = RenderStreamEvent(at, event, org_);
  if (!e.ok()) {
    return e.status();
  }
  hub_.Publish(*std::move(e));
  return absl::OkStatus();
}

}  // namespace salesops::gateway
