#include "services/gateway/stream/stream_feed.h"

#include <memory>

#include "absl/strings/str_cat.h"
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
  std::unique_ptr<google::protobuf::Message> payload(prototype->New());
  if (!payload->ParseFromString(event.data)) {
    return absl::InvalidArgumentError(absl::StrCat("payload does not parse as ", event.type));
  }
  std::string json;
  if (auto s = google::protobuf::util::MessageToJsonString(*payload, &json); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "payload has no JSON form: ", absl::string_view(s.message().data(), s.message().size())));
  }
  StreamEvent out;
  out.position = at;
  out.type = event.type;
  out.scope = ScopeOfEvent(*payload);
  ResolveScope(org, &out.scope);
  out.frame = EventFrame(FormatStreamId(at), event.type, json);
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
