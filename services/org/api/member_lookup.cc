#include "services/org/api/member_lookup.h"

#include "common/status/status_macros.h"

namespace salesops::org {

absl::StatusOr<std::optional<CurrentMember>> RepositoryMemberLookup::Lookup(
    const std::string& member_id) {
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Member> m, repo_.GetMember(member_id));
  if (m) {
    return CurrentMember{m->role, m->org_unit_id, false};
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<MembershipEntry> history, repo_.MemberHistory(member_id));
  if (history.empty()) {
    return std::nullopt;  // never a member (e.g. a bootstrap admin)
  }
  return CurrentMember{history.back().role, "", true};
}

}  // namespace salesops::org
