// Object-level checks of the performance API, on top of the per-method role
// policy: a rep sees their own scorecards, statements and OKRs; a supervisor
// also those of their team; a manager those of the teams under their unit
// (their region); directors and admins everything. "Under" is read from the
// org directory the service keeps (a member's current team and the team's
// ancestors), so a member who moves is seen by their new supervisor.
//
//   Scope scope(org);
//   SALESOPS_ASSIGN_OR_RETURN(bool ok, scope.CoversMember(call.principal, "rep-1"));
//   if (!ok) return DenyAccess(StatementName(id));
//
// Thread-safe (OrgView is).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/auth/principal.h"
#include "services/performance/store/org_view.h"

namespace salesops::performance {

class Scope {
 public:
  explicit Scope(OrgView& org) : org_(org) {}

  // The member themself; a supervisor or manager whose unit is the member's
  // team or above it; a director or admin.
  absl::StatusOr<bool> CoversMember(const Principal& who, const std::string& member_id);
  // A supervisor or manager whose unit is the unit or above it; directors
  // and admins. Reps cover no unit.
  absl::StatusOr<bool> CoversUnit(const Principal& who, const std::string& unit_id);
  // "members/{id}" or "orgUnits/{id}".
  absl::StatusOr<bool> CoversSubject(const Principal& who, const std::string& subject);

 private:
  OrgView& org_;
};

// PERMISSION_DENIED NOT_IN_SCOPE naming the resource the caller asked for
// (never whether it exists).
absl::Status DenyAccess(const std::string& resource);

}  // namespace salesops::performance
