// Resource names of the sync API and the ids inside them, in one place.
//
//   std::string n = Name(kFeedbackColl, id);   // "feedback/<id>"
//   std::string id = IdOf("members/m-1");        // "m-1"
#pragma once

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace salesops::sync {

inline constexpr char kSyncSource[] = "/salesops/sync";
inline constexpr char kSyncTopic[] = "salesops.sync.events.v1";
inline constexpr char kShareTopic[] = "salesops.share.customers.v1";

inline constexpr char kFeedbackColl[] = "feedback";
inline constexpr char kLaunchColl[] = "launches";
inline constexpr char kInsightColl[] = "insights";
inline constexpr char kCampaignColl[] = "campaigns";
inline constexpr char kLeadColl[] = "leads";
inline constexpr char kShareColl[] = "customerShares";
inline constexpr char kTaskForceColl[] = "taskForces";
inline constexpr char kReceptionColl[] = "receptions";
inline constexpr char kDeliveryColl[] = "deliveries";
inline constexpr char kRouteColl[] = "notificationRoutes";
inline constexpr char kMemberColl[] = "members";
inline constexpr char kUnitColl[] = "orgUnits";
inline constexpr char kCustomerColl[] = "customers";
inline constexpr char kOpportunityColl[] = "opportunities";
inline constexpr char kGrantColl[] = "sharingGrants";

inline std::string Name(absl::string_view collection, absl::string_view id) {
  return id.empty() ? std::string() : absl::StrCat(collection, "/", id);
}
// The id after the first '/' ("" for ""); the whole string when it has none.
inline std::string IdOf(absl::string_view name) {
  const size_t slash = name.find('/');
  return std::string(slash == absl::string_view::npos ? name : name.substr(slash + 1));
}

}  // namespace salesops::sync
