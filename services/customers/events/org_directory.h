// What the customers service knows of the org structure: each member's team
// and role, each unit's parent and kind. It is a projection of the org
// service's events (OrgUnitCreated/Updated/Deleted, MemberJoined/Updated/
// Moved/Left), kept in Redis effectively-once, so the customers service never
// calls the org service on a request path. Used to fill a customer's team and
// region from its owner and to resolve grants to units and their subtrees.
//
//   OrgDirectory dir(redis);
//   SALESOPS_ASSIGN_OR_RETURN(std::optional<DirectoryMember> m, dir.Member("m-1"));
//   SALESOPS_ASSIGN_OR_RETURN(std::string region, dir.RegionOf(m->team));
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/kafka/consumer.h"
#include "common/projection/projection_store.h"
#include "common/redis/redis_client.h"

namespace salesops::customers {

inline constexpr char kOrgDirectoryGroup[] = "customers-org-directory";
inline constexpr char kOrgDirectoryDlq[] = "salesops.customers-org-directory.dlq.v1";

struct DirectoryMember {
  std::string team;  // unit id
  int role = 0;      // salesops.org.v1.Role
  bool left = false;
};

// Reads. Thread-safe.
class OrgDirectory {
 public:
  explicit OrgDirectory(RedisClient& redis) : redis_(redis) {}
  absl::StatusOr<std::optional<DirectoryMember>> Member(const std::string& member_id);
  // The unit and its ancestors, the unit first (at most 32; loops cut).
  absl::StatusOr<std::vector<std::string>> UnitAndAncestors(const std::string& unit_id);
  // The nearest unit of kind REGION at or above `unit_id`, "" if none.
  absl::StatusOr<std::string> RegionOf(const std::string& unit_id);
  // The unit's kind (salesops.org.v1.OrgUnitKind), 0 when unknown.
  absl::StatusOr<int> KindOf(const std::string& unit_id);

 private:
  RedisClient& redis_;
};

// The consumer side: org events → directory entries.
class OrgDirectoryProjection final : public EventHandler {
 public:
  explicit OrgDirectoryProjection(ProjectionStore& store) : store_(store) {}
  absl::Status Handle(const CloudEvent& event) override;

 private:
  ProjectionStore& store_;
};

}  // namespace salesops::customers
