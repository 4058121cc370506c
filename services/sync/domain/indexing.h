// How the sync service's lists are ordered: index members are
// "<sort key>:<id>", where the sort key of a "newest first" list is the
// inverted time, so a lexicographic range reads newest first and a page token
// is the last member returned. Also the names of indexes and schedules the
// API, projections and jobs share.
//
//   change.Index(Ix("fb:team:", team), Entry(NewestFirst(create_time), id));
//   std::string id = EntryId(member);
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace salesops::sync {

// 16 hex digits that sort newest first.
inline std::string NewestFirst(absl::Time t) {
  const int64_t micros = absl::ToUnixMicros(t);
  return absl::StrFormat("%016x", static_cast<uint64_t>(std::numeric_limits<int64_t>::max() -
                                                        (micros < 0 ? 0 : micros)));
}
// The sort key of a calendar day, latest first.
inline std::string LatestDayFirst(int year, int month, int day) {
  return absl::StrFormat("%08d", 99999999 - (year * 10000 + month * 100 + day));
}
inline std::string Entry(absl::string_view sort_key, absl::string_view id) {
  return absl::StrCat(sort_key, ":", id);
}
inline std::string EntryId(absl::string_view entry) {
  const size_t colon = entry.find(':');
  return std::string(colon == absl::string_view::npos ? entry : entry.substr(colon + 1));
}
inline std::string Ix(absl::string_view name, absl::string_view value = "") {
  return absl::StrCat(name, value);
}

// Schedules (score: milliseconds since the epoch for deliveries, seconds for the SLAs).
inline constexpr char kDeliveryDue[] = "dlv:due";
inline constexpr char kDeliveryLease[] = "dlv:lease";
// A route's due deliveries held back while it has no posts left this minute
// (notify/dispatcher.h), scored by when each came due; and the routes with one.
inline std::string DeliveryBacklog(absl::string_view route) {
  return absl::StrCat("dlv:backlog:", route);
}
inline constexpr char kDeliveryBacklogs[] = "dlv:backlogs";
inline constexpr char kFeedbackDue[] = "fb:due";
inline constexpr char kLeadDue[] = "lead:due";
inline constexpr char kShareExpiry[] = "share:expiry";

// A delivery is one event to one route: "<route>~<source service>~<event id>".
inline std::string DeliveryId(absl::string_view route, absl::string_view event_source,
                              absl::string_view event_id) {
  const size_t slash = event_source.rfind('/');
  const absl::string_view service =
      slash == absl::string_view::npos ? event_source : event_source.substr(slash + 1);
  return absl::StrCat(route, "~", service, "~", event_id);
}
inline std::string RouteOfDelivery(absl::string_view delivery_id) {
  return std::string(delivery_id.substr(0, delivery_id.find('~')));
}

}  // namespace salesops::sync
