// Who may see and change which customer. Reps their own customers, supervisors
// their team's, managers their region's, directors and admins all; the public
// pool is visible to the sales line (to claim from it; personal data
// minimised until claimed); sharing grants give
// another unit (and its subtree) a view with personal data minimised. Applied
// to every id a request carries, not only to lists.
//
//   Access a = CustomerAccess(viewer, ScopeOf(customer), in_pool, grants, now);
//   if (!CanRead(a)) return PermissionDenied(...);
//   if (a == Access::kSharedRead || ...) MinimisePersonalData(customer);
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "salesops/customers/v1/customers_resources.pb.h"

namespace salesops::customers {

// Where a customer (or a deal, contract, task of it) sits in the org. Ids
// without the collection prefix.
struct OwnershipScope {
  std::string owner;
  std::string team;
  std::string region;
};

// The caller plus the units above its own (from the org directory), so a grant
// to a department also covers the teams inside it.
struct Viewer {
  Principal principal;
  std::vector<std::string> unit_and_ancestors;  // principal.org_unit_id first
};

enum class Access {
  kNone,
  kSharedRead,         // via a READ_ONLY grant: minimised view
  kSharedCollaborate,  // via a COLLABORATE grant: minimised view, may log activities/tasks
  kPoolRead,           // unowned customer: minimised view, may claim
  kOwnerScope,         // owner, their supervisor/manager, director, admin
};

bool CanRead(Access a);
bool CanWrite(Access a);        // change the customer, its deals and contracts
bool CanLogActivity(Access a);  // activities and follow-up tasks
bool IsMinimised(Access a);

// Whether the principal's role and unit cover this scope (no grants).
bool InOwnerScope(const Principal& who, const OwnershipScope& scope);

// Whether an active grant (not revoked, not expired at `now`) covers the
// customer, and with what access; UNSPECIFIED when none.
v1::SharingAccess GrantAccess(const v1::SharingGrant& grant, const v1::Customer& customer,
                              absl::Time now);

Access CustomerAccess(const Viewer& viewer, const v1::Customer& customer,
                      const std::vector<v1::SharingGrant>& grants, absl::Time now);

// Strips phone, e-mail, WeChat and contact details other departments do not need.
void MinimisePersonalData(v1::Customer& customer);

// PERMISSION_DENIED with a stable reason; the message never reveals whether
// the resource exists beyond what the caller may already know.
absl::Status DenyRead(const std::string& resource);
absl::Status DenyWrite(const std::string& resource);

std::string StripPrefix(const std::string& name);  // "members/x" -> "x"
OwnershipScope ScopeOf(const v1::Customer& customer);

}  // namespace salesops::customers
