// Server-sent events as the live stream writes them
// (https://html.spec.whatwg.org/multipage/server-sent-events.html):
//
//   id: salesops.customers.events.v1-2-1234      (where the event sits in Kafka)
//   event: salesops.customers.v1.OpportunityCreated   (the CloudEvent type)
//   data: {"opportunity":"opportunities/o-1",…}  (the payload as JSON)
//
// a `reset` event (with an empty id, so a reconnecting browser does not ask to
// resume from before it) telling the client to reload, an `error` event before
// the gateway closes a stream whose token no longer holds, heartbeat comment
// lines and the reconnect delay.
//
//   std::string f = EventFrame(id, "salesops.customers.v1.OpportunityWon", json);
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace salesops::gateway {

// One event; `data` may span lines (each becomes its own data: line).
std::string EventFrame(absl::string_view id, absl::string_view type, absl::string_view data);
// event: reset, data: {"reason": reason}; clears the client's last event id.
std::string ResetFrame(absl::string_view reason);
// event: error, data: {"code": code, "message": message}.
std::string ErrorFrame(absl::string_view code, absl::string_view message);
// A comment line: keeps proxies and the browser from timing the stream out.
std::string HeartbeatFrame();
// retry: <ms>, the delay before a browser reconnects.
std::string RetryFrame(absl::Duration delay);

}  // namespace salesops::gateway
