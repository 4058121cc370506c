// What the task force use cases and the auto-proposal projection share: the
// policy document, the "one open task force per deal" marker, the indexes a
// task force is listed under, and the supervisor who becomes its sponsor.
// Internal to services/sync (api/ and events/).
//
//   SALESOPS_ASSIGN_OR_RETURN(Loaded<v1::TaskForcePolicy> p, LoadTaskForcePolicy(repo));
//   SALESOPS_ASSIGN_OR_RETURN(OpenMarker m, LoadOpenMarker(repo, opp_id));
//   if (!m.open_task_force.empty()) ...            // the deal has one already
//   AddNewTaskForce(c, id, tf, m);                  // doc, marker, indexes
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "salesops/sync/v1/sync_resources.pb.h"
#include "services/sync/domain/directory.h"
#include "services/sync/domain/sync_repository.h"

namespace salesops::sync {

inline constexpr char kTaskForcePolicyId[] = "taskForcePolicy";

// The stored policy, or the default at version 0.
absl::StatusOr<Loaded<v1::TaskForcePolicy>> LoadTaskForcePolicy(SyncRepository& repo);

// The deal's open (PROPOSED or FORMED) task force, guarded by its version so
// that two proposals racing for one deal cannot both commit.
struct OpenMarker {
  std::string opportunity_id;
  std::string open_task_force;  // "taskForces/{id}", "" = none
  int64_t version = 0;
};
absl::StatusOr<OpenMarker> LoadOpenMarker(SyncRepository& repo, const std::string& opportunity_id);
// Puts the marker naming `task_force` ("" when it closed).
void PutOpenMarker(Change& c, const OpenMarker& m, const std::string& task_force);

// The index entry of a task force (newest first by creation).
std::string TaskForceEntry(const v1::TaskForce& t, const std::string& id);
// A new task force: the document (must not exist), the marker, its indexes.
void AddNewTaskForce(Change& c, const std::string& id, const v1::TaskForce& t,
                     const OpenMarker& marker);
// Index entries of a member who joins later.
void IndexTaskForceMember(Change& c, const std::string& id, const v1::TaskForce& t,
                          const std::string& member);

// The supervisor (role 2) of a team, "" when the directory knows none.
absl::StatusOr<std::string> SupervisorOf(Directory& directory, const std::string& team_id);

}  // namespace salesops::sync
