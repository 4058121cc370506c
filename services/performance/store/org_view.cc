#include "services/performance/store/org_view.h"

#include <algorithm>

#include "common/status/status_macros.h"

namespace salesops::performance {

absl::StatusOr<std::optional<OrgMember>> DirectoryOrgView::Member(const std::string& member_id) {
  SALESOPS_ASSIGN_OR_RETURN(std::optional<org::DirectoryMember> m, directory_.Member(member_id));
  if (!m) return std::nullopt;
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
  members_[id] = OrgMember{team, role, false};
}

absl::StatusOr<std::optional<OrgMember>> InMemoryOrgView::Member(const std::string& member_id) {
  absl::MutexLock lock(&mu_);
  auto it = members_.find(member_id);
  if (it == members_.end()) return std::nullopt;
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
  std::vector<std::string> out;
  for (const auto& [id, m] : members_) {
    if (m.team == unit_id && !m.left) out.push_back(id);
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> InMemoryOrgView::Units() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& [id, parent] : parents_) out.push_back(id);
  return out;
}

}  // namespace salesops::performance
