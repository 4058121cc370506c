// The org structure as another service keeps it: each member's team and role,
// each unit's parent and kind, each team's members. A projection of the org
// service's events (OrgUnitCreated/Updated, MemberJoined/Updated/Moved/Left),
// kept effectively-once in the consuming service's own Redis keyspace, so no
// request path calls the org service. Customers fill a customer's team and
// region from its owner; targets check that a team has members.
//
//   OrgDirectory dir(redis, "cust:{cust}:");
//   SALESOPS_ASSIGN_OR_RETURN(std::optional<DirectoryMember> m, dir.Member("m-1"));
//   SALESOPS_ASSIGN_OR_RETURN(std::string region, dir.RegionOf(m->team));
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth/principal_resolver.h"
#include "common/docstore/kv.h"
#include "common/kafka/consumer.h"
#include "common/projection/projection_store.h"
#include "common/redis/redis_client.h"

namespace salesops::org {

// A unit's place: its parent ("" for the top) and kind (salesops.org.v1.OrgUnitKind).
struct DirectoryUnit {
  std::string parent;
  int kind = 0;
};

struct DirectoryMember {
  std::string team;  // unit id
  int role = 0;      // salesops.org.v1.Role
  bool left = false;
};

// Reads. Thread-safe.
class OrgDirectory {
 public:
  // `prefix`: the consuming service's keyspace, e.g. "cust:{cust}:".
  OrgDirectory(KvReader& kv, std::string prefix) : kv_(kv), prefix_(std::move(prefix)) {}
  OrgDirectory(RedisClient& redis, std::string prefix)
      : owned_(std::make_unique<RedisKvReader>(redis)), kv_(*owned_), prefix_(std::move(prefix)) {}
  absl::StatusOr<std::optional<DirectoryMember>> Member(const std::string& member_id);
  // The unit and its ancestors, the unit first (at most 32; loops cut).
  absl::StatusOr<std::vector<std::string>> UnitAndAncestors(const std::string& unit_id);
  // The nearest unit of kind REGION at or above `unit_id`, "" if none.
  absl::StatusOr<std::string> RegionOf(const std::string& unit_id);
  // The unit's parent and kind (one read); nullopt when the directory has no
  // such unit. For callers that walk the tree through a cache of their own.
  absl::StatusOr<std::optional<DirectoryUnit>> Unit(const std::string& unit_id);
  // The unit's kind (salesops.org.v1.OrgUnitKind), 0 when unknown.
  absl::StatusOr<int> KindOf(const std::string& unit_id);
  // The command KindOf sends (prefetched with a write's other reads).
  std::vector<std::string> KindOfCommand(const std::string& unit_id) const;
  // Members currently in the unit (not those who left).
  absl::StatusOr<std::vector<std::string>> MembersOf(const std::string& unit_id);
  // Every unit the directory has seen, sorted.
  absl::StatusOr<std::vector<std::string>> Units();

 private:
  std::unique_ptr<KvReader> owned_;
  KvReader& kv_;
  std::string prefix_;
};

// The caller check of services that keep a directory: the member's current
// role and unit as the org service last published them.
class DirectoryMemberLookup final : public MemberLookup {
 public:
  explicit DirectoryMemberLookup(OrgDirectory& directory) : directory_(directory) {}
  absl::StatusOr<std::optional<CurrentMember>> Lookup(const std::string& member_id) override;

 private:
  OrgDirectory& directory_;
};

// The consumer side: org events → directory entries.
//
// HandleBatch applies what the consumer fetched in as few Redis scripts as it
// can (ProjectionStore::TryApplyCombined): a member's previous team is read
// for the whole batch in one round trip, and the batch commits in waves, runs
// of events that touch a member or unit at most once. An event that fails
// stops the batch there: the later waves are not applied but answered
// UNAVAILABLE, so the consumer applies them one by one after it, in order
// (never an older state over a newer one).
class OrgDirectoryProjection final : public EventHandler {
 public:
  OrgDirectoryProjection(ProjectionStore& store, KvReader& kv, std::string prefix)
      : store_(store), kv_(kv), prefix_(std::move(prefix)) {}
  OrgDirectoryProjection(ProjectionStore& store, RedisClient& redis, std::string prefix)
      : store_(store),
        owned_(std::make_unique<RedisKvReader>(redis)),
        kv_(*owned_),
        prefix_(std::move(prefix)) {}
  absl::Status Handle(const CloudEvent& event) override;
  std::vector<absl::Status> HandleBatch(const std::vector<const CloudEvent*>& events) override;

 private:
  struct Change;
  absl::StatusOr<Change> Decode(const CloudEvent& event) const;

  ProjectionStore& store_;
  std::unique_ptr<KvReader> owned_;
  KvReader& kv_;
  std::string prefix_;
};

}  // namespace salesops::org
