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

// A queued notice, as a digest takes it.
struct DigestItem {
  std::string title;
  std::string markdown;
};
struct Digest {
  std::string title;
  std::string markdown;
  size_t count = 0;  // items [0, count) are in it
};

// Several queued notices as one message, for a group whose robot has fewer
// posts left this minute than notices waiting: oldest first, each one's title
// in bold and the first line of its text (what it says; its details are in
// the dashboard), as many as fit in `max_bytes` of Markdown. At least one,
// cut to fit if it alone does not. The title counts them, and says when
// warnings are among them.
Digest DigestOf(const std::vector<DigestItem>& items, const std::string& language,
                size_t max_bytes);

// "¥1,200,000.00" for CNY; "1200.50 USD" otherwise.
std::string DisplayMoney(const salesops::common::v1::Money& m);

}  // namespace salesops::sync
