// The rules of the org tree, as pure functions over plain structs, so they can
// be tested exhaustively without Redis or gRPC:
//   - which kind of unit may sit under which (a company is the only root);
//   - a re-parent must not create a cycle;
//   - where a member of a given role may be placed;
//   - what a caller may see and change, by role and place in the tree.
//
// "Ancestry" is a unit followed by its parent, grandparent, … up to the root,
// as ids: {"team-1", "region-east", "acme"}.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/auth/principal.h"
#include "services/org/domain/org_model.h"

namespace salesops::org {

// May a unit of kind `child` have a parent of kind `parent`?
bool MayHaveParent(UnitKind child, UnitKind parent);
// May a unit of this kind be a root (no parent)?
bool MayBeRoot(UnitKind kind);

// Checks the placement of `unit` under `parent` (nullptr: no parent).
// INVALID_ARGUMENT naming `field` (e.g. "org_unit.parent").
absl::Status CheckParent(const OrgUnit& unit, const OrgUnit* parent, const std::string& field);

// `new_parent_ancestry` is the ancestry of the proposed parent. A cycle would
// arise if the unit itself is in it. INVALID_ARGUMENT naming `field`.
absl::Status CheckNoCycle(const std::string& unit_id,
                          const std::vector<std::string>& new_parent_ancestry,
                          const std::string& field);

// Where members of each role may be placed: reps and supervisors in a team or
// department; managers in a region, team or department; directors in the
// company, a region or a department; admins anywhere but a product line.
bool MayPlaceMember(Role role, UnitKind unit_kind);
absl::Status CheckMemberPlacement(Role role, const OrgUnit& unit, const std::string& field);

// True when `scope_unit_id` is in the ancestry (the unit or one above it).
bool IsWithin(const std::vector<std::string>& ancestry, const std::string& scope_unit_id);

// Reading a member: reps see themselves; supervisors and managers the members
// of their own unit's subtree (and themselves); directors and admins everyone.
bool CanSeeMember(const Principal& who, const Member& member,
                  const std::vector<std::string>& member_unit_ancestry);

// Creating, changing, moving or removing a member in a unit with this
// ancestry: admins and directors anywhere, managers inside their subtree.
bool CanManageMembersIn(const Principal& who, const std::vector<std::string>& unit_ancestry);

}  // namespace salesops::org

namespace salesops::org {

// Nobody but an admin may give a member a role at or above their own, nor
// change or remove a member holding one: a manager cannot create, promote or
// remove another manager (a peer), only the ranks below.
bool CanAssignRole(const Principal& who, Role role);

}  // namespace salesops::org
