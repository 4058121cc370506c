#include "services/performance/api/access.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace salesops::performance {

absl::StatusOr<bool> Scope::CoversMember(const Principal& who, const std::string& member_id) {
  if (who.role == Role::kAdmin || who.role == Role::kDirector) {
    return true;
  }
  if (!who.member_id.empty() && who.member_id == member_id) {
    return true;
  }
  if (who.role == Role::kRep || who.org_unit_id.empty()) {
    return false;
  }
  SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgMember> m, org_.Member(member_id));
  if (!m || m->team.empty()) {
    return false;
  }
  return CoversUnit(who, m->team);
}

absl::StatusOr<bool> Scope::CoversUnit(const Principal& who, const std::string& unit_id) {
  if (who.role == Role::kAdmin || who.role == Role::kDirector) {
    return true;
  }
  if (who.role == Role::kRep || who.org_unit_id.empty()) {
    return false;
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> up, org_.UnitAndAncestors(unit_id));
  return std::find(up.begin(), up.end(), who.org_unit_id) != up.end();
}

absl::StatusOr<bool> Scope::CoversSubject(const Principal& who, const std::string& subject) {
  if (absl::StartsWith(subject, "members/")) {
    return CoversMember(who, subject.substr(8));
  }
  if (absl::StartsWith(subject, "orgUnits/")) {
    return CoversUnit(who, subject.substr(9));
  }
  return false;
}

absl::Status DenyAccess(const std::string& resource) {
  return PermissionDenied("NOT_IN_SCOPE",
                          absl::StrCat(QuoteUntrusted(resource, 120), " is outside your scope"));
}

}  // namespace salesops::performance
