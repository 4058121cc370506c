#include "services/performance/store/org_view.h"

#include <algorithm>

#include "common/status/status_macros.h"

namespace salesops::performance {

absl::StatusOr<std::optional<OrgMember>> DirectoryOrgView::Member(const std::string& member_id) {
  SALESOPS_ASSIGN_OR_RETURN(std::optional<org::DirectoryMember> m, directory_.Member(member_id));
  if (!m) {
    return std::nullopt;
  }
  // salesops.org.v1.Role numbers match Role's (1 rep … 5 admin).
  if (m->role < static_cast<int>(Role::kRep) || m->role > static_cast<int>(Role::kAdmin)) {
    return std::nullopt;
  }
  return OrgMember{m->team, static_cast<Role>(m->role), m->left};
}

absl::StatusOr<std::vector<std::string>> DirectoryOrgView::UnitAndAncestors(
    const std::string& unit_id) {
  return directory_.UnitAndAncestors(unit_id);
}

absl::StatusOr<std::vector<std::string>> DirectoryOrgView::MembersOf(const std::string& unit_id) {
  return directory_.MembersOf(unit_id);
}

void InMemoryOrgView::AddUnit(const std::string& id, const std::string& parent) {
  absl::MutexLock lock(&mu_);
  parents_[id] = parent;
}

void InMemoryOrgView::AddMember(const std::string& id, const std::string& team, Role role) {
  absl::MutexLock lock(&mu_);
  auto it = members_.find(id);
  if (it != members_.end()) {
    team_members_[it->second.team].erase(id);
  }
  members_[id] = OrgMember{team, role, false};
  team_members_[team].insert(id);
}

absl::StatusOr<std::optional<OrgMember>> InMemoryOrgView::Member(const std::string& member_id) {
  absl::MutexLock lock(&mu_);
  auto it = members_.find(member_id);
  if (it == members_.end()) {
    return std::nullopt;
  }
  return it->second;
}

absl::StatusOr<std::vector<std::string>> InMemoryOrgView::UnitAndAncestors(
    const std::string& unit_id) {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  std::string id = unit_id;
  while (!id.empty() && out.size() < 32 && std::find(out.begin(), out.end(), id) == out.end()) {
    out.push_back(id);
    auto it = parents_.find(id);
    id = it == parents_.end() ? "" : it->second;
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> InMemoryOrgView::MembersOf(const std::string& unit_id) {
  absl::MutexLock lock(&mu_);
  auto it = team_members_.find(unit_id);
  if (it == team_members_.end()) {
    return std::vector<std::string>();
  }
  return std::vector<std::string>(it->second.begin(), it->second.end());  // sorted
}

absl::StatusOr<std::vector<std::string>> InMemoryOrgView::Units() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& [id, parent] : parents_) {
    out.push_back(id);
  }
  return out;
}

}  // namespace salesops::performance
