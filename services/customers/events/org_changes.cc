#include "services/customers/events/org_changes.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/events/cloud_event.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "salesops/org/v1/org_events.pb.h"

namespace salesops::customers {

absl::Status OrgChangeHandler::Handle(const CloudEvent& event) {
  if (event.type != "salesops.org.v1.MemberMoved") {
    return absl::OkStatus();
  }
  SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<salesops::org::v1::MemberMoved>(event));
  if (!absl::StartsWith(e.member().name(), "members/") ||
      !absl::StartsWith(e.to_org_unit(), "orgUnits/")) {
    return InvalidField("member", "MemberMoved without member or target unit");
  }
  const std::string reason = absl::StrCat(
      "owner ", e.member().name(), " moved from ", e.from_org_unit(), " to ", e.to_org_unit(),
      e.reorganisation().empty() ? "" : absl::StrCat(" (", e.reorganisation(), ")"));
  absl::Status s =
      jobs_.ApplyOwnerMove(e.member().name().substr(8), e.to_org_unit().substr(9), reason).status();
  // A lost race is worth another try, not the dead-letter topic.
  if (absl::IsAborted(s)) {
    return Unavailable("RETRY", std::string(s.message()));
  }
  return s;
}

}  // namespace salesops::customers
