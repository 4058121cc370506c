// The in-memory twin of DirectoryOrgView for unit tests of the stream and the
// HTTP server: the org chart set by hand, answered the way the directory
// answers (a member who left has no team; a unit's region is the nearest
// REGION at or above it, "" when none or unknown). org_view_test.cc checks the
// two agree on the same chart, the directory's filled by the real projection.
//
//   InMemoryOrgView org;
//   org.Unit("r1", "", /*region=*/true);
//   org.Unit("t1", "r1");
//   org.Member("rep1", "t1");
//   org.RegionOf("t1");  // "r1"
//
// Thread-safe.
#pragma once

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "services/gateway/domain/event_scope.h"

namespace salesops::gateway {

class InMemoryOrgView final : public OrgView {
 public:
  // Adds or replaces the unit; `parent` "" for a root.
  void Unit(const std::string& id, const std::string& parent, bool region = false);
  // Puts the member in `team` (a move when already there).
  void Member(const std::string& id, const std::string& team);
  void Left(const std::string& id);

  std::string TeamOf(const std::string& member_id) override;
  std::string RegionOf(const std::string& unit_id) override;

 private:
  struct UnitEntry {
    std::string parent;
    bool region = false;
  };
  struct MemberEntry {
    std::string team;
    bool left = false;
  };
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, UnitEntry> units_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, MemberEntry> members_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salesops::gateway
