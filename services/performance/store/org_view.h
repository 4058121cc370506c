// The org structure as the performance service reads it for object-level
// checks (whose statement, whose team) and for plan applicability: a member's
// team and role, a unit's ancestors, a team's members. In the service it is
// the org directory projection the service keeps of org events in its own
// keyspace (services/org/directory); unit tests use the in-memory twin.
//
//   InMemoryOrgView org;
//   org.AddUnit("region-east", "acme");
//   org.AddUnit("team-east-1", "region-east");
//   org.AddMember("rep-1", "team-east-1", Role::kRep);
//   DirectoryOrgView live(directory);   // over org::OrgDirectory
//
// Thread-safe.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/principal.h"
#include "common/directory/org_directory.h"

namespace salesops::performance {

struct OrgMember {
  std::string team;  // unit id
  Role role = Role::kRep;
  bool left = false;
};

class OrgView {
 public:
  virtual ~OrgView() = default;
  virtual absl::StatusOr<std::optional<OrgMember>> Member(const std::string& member_id) = 0;
  // The unit first, then its parent, up to the root.
  virtual absl::StatusOr<std::vector<std::string>> UnitAndAncestors(const std::string& unit_id) = 0;
  // Members currently in the unit, sorted.
  virtual absl::StatusOr<std::vector<std::string>> MembersOf(const std::string& unit_id) = 0;
  // Every unit, sorted.
  virtual absl::StatusOr<std::vector<std::string>> Units() = 0;
};

class DirectoryOrgView final : public OrgView {
 public:
  explicit DirectoryOrgView(org::OrgDirectory& directory) : directory_(directory) {}
  absl::StatusOr<std::optional<OrgMember>> Member(const std::string& member_id) override;
  absl::StatusOr<std::vector<std::string>> UnitAndAncestors(const std::string& unit_id) override;
  absl::StatusOr<std::vector<std::string>> MembersOf(const std::string& unit_id) override;
  absl::StatusOr<std::vector<std::string>> Units() override { return directory_.Units(); }

 private:
  org::OrgDirectory& directory_;
};

class InMemoryOrgView final : public OrgView {
 public:
  void AddUnit(const std::string& id, const std::string& parent);
  void AddMember(const std::string& id, const std::string& team, Role role);
  absl::StatusOr<std::optional<OrgMember>> Member(const std::string& member_id) override;
  absl::StatusOr<std::vector<std::string>> UnitAndAncestors(const std::string& unit_id) override;
  absl::StatusOr<std::vector<std::string>> MembersOf(const std::string& unit_id) override;
  absl::StatusOr<std::vector<std::string>> Units() override;

 private:
  absl::Mutex mu_;
  std::map<std::string, std::string> parents_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, OrgMember> members_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::set<std::string>> team_members_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salesops::performance
