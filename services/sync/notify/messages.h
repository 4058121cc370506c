// What a group sees for an event: a short title and Markdown lines, Chinese by
// default ("en" per route), rendered from the event alone so a retry sends the
// same words. Also which org units the event is about, for route matching.
//
//   absl::StatusOr<std::optional<Notice>> n = NoticeFor(event, "zh", tz);
//   // WarningRaised → title "【预警·严重】某某项目", units {"team-east-1"}
//
// Pure: no lookups. Events whose unit must be looked up (a review names its
// rep, not the rep's team) say so in `member`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/events/cloud_event.h"
#include "salesops/common/v1/common.pb.h"

namespace salesops::sync {

struct Notice {
  std::string subject;  // e.g. "warnings/w-1"
  std::string title;
  std::string markdown;
  std::vector<std::string> units;  // unit ids the event is about
  // Launch / insight audiences: the units' subtrees are meant.
  bool audience = false;
  // The member whose team the event is about, when it names no unit ("" otherwise).
  std::string member;
};

// nullopt for an event type no route can take; INVALID_ARGUMENT when the
// payload does not decode.
absl::StatusOr<std::optional<Notice>> NoticeFor(const CloudEvent& event,
                                                const std::string& language, absl::TimeZone tz);

// "¥1,200,000.00" for CNY; "1200.50 USD" otherwise.
std::string DisplayMoney(const salesops::common::v1::Money& m);

}  // namespace salesops::sync
