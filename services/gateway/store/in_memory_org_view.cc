#include "services/gateway/store/in_memory_org_view.h"

namespace salesops::gateway {

void InMemoryOrgView::Unit(const std::string& id, const std::string& parent, bool region) {
  absl::MutexLock lock(&mu_);
  units_[id] = UnitEntry{parent, region};
}

void InMemoryOrgView::Member(const std::string& id, const std::string& team) {
  absl::MutexLock lock(&mu_);
  members_[id] = MemberEntry{team, false};
}

void InMemoryOrgView::Left(const std::string& id) {
  absl::MutexLock lock(&mu_);
  members_[id].left = true;
}

std::string InMemoryOrgView::TeamOf(const std::string& member_id) {
  absl::MutexLock lock(&mu_);
  auto it = members_.find(member_id);
  return it == members_.end() || it->second.left ? "" : it->second.team;
}

std::string InMemoryOrgView::RegionOf(const std::string& unit_id) {
  absl::MutexLock lock(&mu_);
  std::string id = unit_id;
  // As deep as the directory looks (OrgDirectory::RegionOf), so a loop ends.
  for (int depth = 0; depth < 32 && !id.empty(); ++depth) {
    auto it = units_.find(id);
    if (it == units_.end()) {
      return "";
    }
    if (it->second.region) {
      return id;
    }
    id = it->second.parent;
  }
  return "";
}

}  // namespace salesops::gateway
