// Turns the CloudEvents the live KafkaSource reads into stream events: the
// payload decoded as the message its ce_type names (through the descriptors
// linked into the gateway), rendered as JSON (lowerCamel, as Connect and the
// web client's generated types use) once, when a connection first takes it
// (LazyFrame: with nobody watching, nothing is rendered), its scope read by the event
// family's function and resolved against the org directory, then published
// to the hub.
//
//   StreamFeed feed(hub, org_view);
//   KafkaSource live(options, [&](const StreamPosition& at, const CloudEvent& e) {
//     return feed.Handle(at, e);
//   });
#pragma once

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/events/cloud_event.h"
#include "services/gateway/domain/event_scope.h"
#include "services/gateway/stream/event_hub.h"

namespace salesops::gateway {

// The stream event for `event` (not yet published). INVALID_ARGUMENT when
// its type is not linked into the gateway or its payload does not parse. Its
// frame is rendered later (LazyFrame); a payload with no JSON form (none of
// ours) then renders empty, is sent to nobody and logged with its ids.
absl::StatusOr<StreamEvent> RenderStreamEvent(const StreamPosition& at, const CloudEvent& event,
                                              OrgView& org);

class StreamFeed {
 public:
  StreamFeed(EventHub& hub, OrgView& org) : hub_(hub), org_(org) {}
  absl::Status Handle(const StreamPosition& at, const CloudEvent& event);

 private:
  EventHub& hub_;
  OrgView& org_;
};

}  // namespace salesops::gateway
