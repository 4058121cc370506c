#include "services/targets/events/org_changes.h"

#include "absl/strings/str_cat.h"
#include "common/events/cloud_event.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "salesops/org/v1/org_events.pb.h"
#include "services/targets/store/plan_store.h"

namespace salesops::targets {

absl::Status OrgChangeHandler::Handle(const CloudEvent& event) {
  if (event.type != "salesops.org.v1.MemberMoved") {
    return absl::OkStatus();
  }
  SALESOPS_ASSIGN_OR_RETURN(auto e, DecodePayload<salesops::org::v1::MemberMoved>(event));
  if (e.member().name().empty() || e.from_org_unit().empty() || e.to_org_unit().empty()) {
    return InvalidField("member", "MemberMoved without member or units");
  }
  const std::string reason =
      absl::StrCat(e.member().name(), " moved from ", e.from_org_unit(), " to ", e.to_org_unit(),
                   e.reorganisation().empty() ? "" : absl::StrCat(" (", e.reorganisation(), ")"));
  return api_
      .ApplyMemberMove(StripName(e.member().name()), StripName(e.from_org_unit()),
                       StripName(e.to_org_unit()), event.id, reason)
      .status();
}

}  // namespace salesops::targets
