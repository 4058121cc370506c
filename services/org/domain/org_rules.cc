#include "services/org/domain/org_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status/errors.h"

namespace salesops::org {

absl::string_view UnitKindName(UnitKind kind) {
  switch (kind) {
    case UnitKind::kCompany:
      return "company";
    case UnitKind::kRegion:
      return "region";
    case UnitKind::kTeam:
      return "team";
    case UnitKind::kProductLine:
      return "product line";
    case UnitKind::kDepartment:
      return "department";
  }
  return "unknown";
}

bool MayBeRoot(UnitKind kind) { return kind == UnitKind::kCompany; }

bool MayHaveParent(UnitKind child, UnitKind parent) {
  switch (child) {
    case UnitKind::kCompany:
      return false;
    case UnitKind::kRegion:
      return parent == UnitKind::kCompany || parent == UnitKind::kRegion;
    case UnitKind::kTeam:
      return parent == UnitKind::kRegion || parent == UnitKind::kCompany ||
             parent == UnitKind::kDepartment;
    case UnitKind::kProductLine:
      return parent == UnitKind::kCompany;
    case UnitKind::kDepartment:
      return parent == UnitKind::kCompany || parent == UnitKind::kDepartment;
  }
  return false;
}

absl::Status CheckParent(const OrgUnit& unit, const OrgUnit* parent, const std::string& field) {
  if (parent == nullptr) {
    if (!MayBeRoot(unit.kind)) {
      return InvalidField(field, absl::StrCat("a ", UnitKindName(unit.kind), " needs a parent"));
    }
    return absl::OkStatus();
  }
  if (!MayHaveParent(unit.kind, parent->kind)) {
    return InvalidField(field,
                        absl::StrCat("a ", UnitKindName(unit.kind), " cannot be placed under a ",
                                     UnitKindName(parent->kind)));
  }
  return absl::OkStatus();
}

absl::Status CheckNoCycle(const std::string& unit_id,
                          const std::vector<std::string>& new_parent_ancestry,
                          const std::string& field) {
  if (std::find(new_parent_ancestry.begin(), new_parent_ancestry.end(), unit_id) !=
      new_parent_ancestry.end()) {
    return InvalidArgument({{field,
                             "would create a cycle: the new parent is the unit itself or "
                             "one of its descendants"}},
                           "ORG_TREE_CYCLE");
  }
  return absl::OkStatus();
}

bool MayPlaceMember(Role role, UnitKind kind) {
  switch (role) {
    case Role::kRep:
    case Role::kSupervisor:
      return kind == UnitKind::kTeam || kind == UnitKind::kDepartment;
    case Role::kManager:
      return kind == UnitKind::kRegion || kind == UnitKind::kTeam || kind == UnitKind::kDepartment;
    case Role::kDirector:
      return kind == UnitKind::kCompany || kind == UnitKind::kRegion ||
             kind == UnitKind::kDepartment;
    case Role::kAdmin:
      return kind != UnitKind::kProductLine;
  }
  return false;
}

absl::Status CheckMemberPlacement(Role role, const OrgUnit& unit, const std::string& field) {
  if (!MayPlaceMember(role, unit.kind)) {
    return InvalidArgument({{field, absl::StrCat("a member with role ", RoleName(role),
                                                 " cannot belong to a ", UnitKindName(unit.kind))}},
                           "MEMBER_PLACEMENT_NOT_ALLOWED");
  }
  return absl::OkStatus();
}

bool IsWithin(const std::vector<std::string>& ancestry, const std::string& scope_unit_id) {
  return !scope_unit_id.empty() &&
         std::find(ancestry.begin(), ancestry.end(), scope_unit_id) != ancestry.end();
}

bool CanSeeMember(const Principal& who, const Member& member,
                  const std::vector<std::string>& member_unit_ancestry) {
  if (who.member_id == member.id) {
    return true;
  }
  switch (who.role) {
    case Role::kRep:
      return false;
    case Role::kSupervisor:
    case Role::kManager:
      return IsWithin(member_unit_ancestry, who.org_unit_id);
    case Role::kDirector:
    case Role::kAdmin:
      return true;
  }
  return false;
}

bool CanManageMembersIn(const Principal& who, const std::vector<std::string>& unit_ancestry) {
  switch (who.role) {
    case Role::kAdmin:
    case Role::kDirector:
      return true;
    case Role::kManager:
      return IsWithin(unit_ancestry, who.org_unit_id);
    default:
      return false;
  }
}

}  // namespace salesops::org

namespace salesops::org {

bool CanAssignRole(const Principal& who, Role role) {
  return who.role == Role::kAdmin || static_cast<int>(role) < static_cast<int>(who.role);
}

}  // namespace salesops::org
