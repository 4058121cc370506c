// The org structure as the sync service sees it: a member's team, role,
// department and whether they left; a unit's ancestors and region; a team's
// members. Fed by the org service's events (store/redis_directory.h keeps it
// in the service's own keyspace, store/in_memory_directory.h for tests), so
// no request path calls the org service.
//
//   SALESOPS_ASSIGN_OR_RETURN(std::optional<MemberInfo> m, directory.Member("m-1"));
//   SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> chain, directory.UnitAndAncestors(m->team));
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "salesops/sync/v1/sync_resources.pb.h"

namespace salesops::sync {

struct MemberInfo {
  std::string team;  // unit id
  int role = 0;      // salesops.org.v1.Role (1 rep … 5 admin)
  v1::Department department = v1::DEPARTMENT_UNSPECIFIED;
  bool left = false;
};

class Directory {
 public:
  virtual ~Directory() = default;
  virtual absl::StatusOr<std::optional<MemberInfo>> Member(const std::string& member_id) = 0;
  // The unit and its ancestors, the unit first (loops cut).
  virtual absl::StatusOr<std::vector<std::string>> UnitAndAncestors(const std::string& unit_id) = 0;
  // The nearest REGION at or above the unit, "" if none.
  virtual absl::StatusOr<std::string> RegionOf(const std::string& unit_id) = 0;
  // Members currently in the unit, by id.
  virtual absl::StatusOr<std::vector<std::string>> MembersOf(const std::string& unit_id) = 0;
};

}  // namespace salesops::sync
