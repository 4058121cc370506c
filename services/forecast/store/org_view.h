// The org tree as the forecast service sees it: a unit's ancestors and kind,
// a member's team and role, a unit's leads. The service's adapter reads its
// own org directory projection (services/org/directory, fed by org events in
// its keyspace) and caches answers briefly; tests use InMemoryOrgView.
//
//   DirectoryOrgView org(directory, clock);
//   SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> chain, org.UnitAndAncestors("team-1"));
//   // {"team-1", "region-east", "acme"}
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/directory/org_directory.h"
#include "common/time/clock.h"

namespace salesops::forecast {

// salesops.org.v1.OrgUnitKind / Role numbers.
inline constexpr int kKindCompany = 1;
inline constexpr int kKindRegion = 2;
inline constexpr int kKindTeam = 3;
inline constexpr int kKindProductLine = 4;

struct OrgMember {
  std::string team;
  int role = 0;  // salesops.org.v1.Role
  bool left = false;
};

// Thread-safe implementations only.
class OrgView {
 public:
  virtual ~OrgView() = default;
  // The unit first, then each parent to the root; just the unit when unknown.
  virtual absl::StatusOr<std::vector<std::string>> UnitAndAncestors(const std::string& unit) = 0;
  // salesops.org.v1.OrgUnitKind, 0 when unknown.
  virtual absl::StatusOr<int> KindOf(const std::string& unit) = 0;
  virtual absl::StatusOr<std::optional<OrgMember>> Member(const std::string& member) = 0;
  // The lead of a unit: its member of the lowest role >= supervisor (then
  // lowest id); "" when none.
  virtual absl::StatusOr<std::string> LeadOf(const std::string& unit) = 0;
};

// Over the org directory projection, answers cached for `ttl` (the org
// changes rarely; a move shows within ttl) once the unit and its root are
// known. Thread-safe.
class DirectoryOrgView final : public OrgView {
 public:
  DirectoryOrgView(org::OrgDirectory& directory, absl::Duration ttl = absl::Seconds(10))
      : directory_(directory), ttl_(ttl) {}
  absl::StatusOr<std::vector<std::string>> UnitAndAncestors(const std::string& unit) override;
  absl::StatusOr<int> KindOf(const std::string& unit) override;
  absl::StatusOr<std::optional<OrgMember>> Member(const std::string& member) override;
  absl::StatusOr<std::string> LeadOf(const std::string& unit) override;

 private:
  struct UnitEntry {
    std::vector<std::string> chain;
    int kind = 0;
    std::string lead;
    absl::Time loaded;
  };
  absl::StatusOr<UnitEntry> Unit(const std::string& unit);

  org::OrgDirectory& directory_;
  absl::Duration ttl_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, UnitEntry> units_ ABSL_GUARDED_BY(mu_);
};

// For tests. Thread-safe.
class InMemoryOrgView final : public OrgView {
 public:
  void AddUnit(const std::string& id, int kind, const std::string& parent);
  void AddMember(const std::string& id, const std::string& team, int role);

  absl::StatusOr<std::vector<std::string>> UnitAndAncestors(const std::string& unit) override;
  absl::StatusOr<int> KindOf(const std::string& unit) override;
  absl::StatusOr<std::optional<OrgMember>> Member(const std::string& member) override;
  absl::StatusOr<std::string> LeadOf(const std::string& unit) override;

 private:
  absl::Mutex mu_;
  std::map<std::string, std::pair<int, std::string>> units_ ABSL_GUARDED_BY(mu_);  // kind, parent
  std::map<std::string, OrgMember> members_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salesops::forecast
