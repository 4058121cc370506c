// Directory in memory, for unit tests: members and units set by hand.
//
//   InMemoryDirectory dir;
//   dir.AddUnit("co", ""); dir.AddUnit("east", "co", /*region=*/true); dir.AddUnit("t1", "east");
//   dir.AddMember("r1", "t1", /*role=*/1, v1::DEPARTMENT_SALES);
#pragma once

#include <map>

#include "absl/synchronization/mutex.h"
#include "services/sync/domain/directory.h"

namespace salesops::sync {

class InMemoryDirectory final : public Directory {
 public:
  void AddUnit(const std::string& id, const std::string& parent, bool region = false) {
    absl::MutexLock lock(&mu_);
    units_[id] = {parent, region};
  }
  void AddMember(const std::string& id, const std::string& team, int role,
                 v1::Department department) {
    absl::MutexLock lock(&mu_);
    members_[id] = MemberInfo{team, role, department, false};
  }

  absl::StatusOr<std::optional<MemberInfo>> Member(const std::string& member_id) override {
    absl::MutexLock lock(&mu_);
    auto it = members_.find(member_id);
    if (it == members_.end()) {
      return std::nullopt;
    }
    return it->second;
  }
  absl::StatusOr<std::vector<std::string>> UnitAndAncestors(const std::string& unit_id) override {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (std::string id = unit_id; !id.empty() && out.size() < 32;) {
      out.push_back(id);
      auto it = units_.find(id);
      id = it == units_.end() ? "" : it->second.first;
    }
    return out;
  }
  absl::StatusOr<std::string> RegionOf(const std::string& unit_id) override {
    absl::MutexLock lock(&mu_);
    for (std::string id = unit_id; !id.empty();) {
      auto it = units_.find(id);
      if (it == units_.end()) {
        return std::string();
      }
      if (it->second.second) {
        return id;
      }
      id = it->second.first;
    }
    return std::string();
  }
  absl::StatusOr<std::vector<std::string>> MembersOf(const std::string& unit_id) override {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (const auto& [id, m] : members_) {
      if (m.team == unit_id && !m.left) {
        out.push_back(id);
      }
    }
    return out;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::pair<std::string, bool>> units_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, MemberInfo> members_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salesops::sync
