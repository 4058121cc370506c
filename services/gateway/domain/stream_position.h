// Where an event sits in Kafka, as the live stream names it: the SSE `id:`
// of every event is "<topic>-<partition>-<offset>", so a browser's
// Last-Event-ID tells the gateway where the client stopped.
//
//   std::string id = FormatStreamId({"salesops.customers.events.v1", 2, 1234});
//   std::optional<StreamPosition> p = ParseStreamId(id);   // nullopt if malformed
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace salesops::gateway {

struct StreamPosition {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;

  friend bool operator==(const StreamPosition&, const StreamPosition&) = default;
};

std::string FormatStreamId(const StreamPosition& p);

// Topic names may contain '-', so the two numbers are read from the right.
std::optional<StreamPosition> ParseStreamId(absl::string_view id);

}  // namespace salesops::gateway
