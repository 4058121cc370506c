#include "services/customers/domain/access.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/time/proto_time.h"

namespace salesops::customers {
namespace {

template <typename C, typename V>
bool EmptyOrContains(const C& list, const V& value) {
  return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

bool CanRead(Access a) { return a != Access::kNone; }
bool CanWrite(Access a) { return a == Access::kOwnerScope; }
bool CanLogActivity(Access a) {
  return a == Access::kOwnerScope || a == Access::kSharedCollaborate;
}
bool IsMinimised(Access a) {
  // The pool is visible to the whole sales line so anyone may claim: its
  // contacts' phones and e-mails are for the one who claims it, not for all.
  return a == Access::kSharedRead || a == Access::kSharedCollaborate || a == Access::kPoolRead;
}

std::string StripPrefix(const std::string& name) {
  const size_t slash = name.find('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

OwnershipScope ScopeOf(const v1::Customer& c) {
  return {StripPrefix(c.owner()), StripPrefix(c.team()), StripPrefix(c.tags().region())};
}

bool InOwnerScope(const Principal& who, const OwnershipScope& s) {
  switch (who.role) {
    case Role::kAdmin:
    case Role::kDirector:
      return true;
    case Role::kManager:
      return !who.org_unit_id.empty() && s.region == who.org_unit_id;
    case Role::kSupervisor:
      return !who.org_unit_id.empty() && s.team == who.org_unit_id;
    case Role::kRep:
      return !who.member_id.empty() && s.owner == who.member_id;
  }
  return false;
}

v1::SharingAccess GrantAccess(const v1::SharingGrant& g, const v1::Customer& c, absl::Time now) {
  if (g.has_revoke_time()) {
    return v1::SHARING_ACCESS_UNSPECIFIED;
  }
  if (g.has_expire_time() && FromTs(g.expire_time()) <= now) {
    return v1::SHARING_ACCESS_UNSPECIFIED;
  }
  if (!g.customer().empty()) {
    return g.customer() == c.name() ? g.access() : v1::SHARING_ACCESS_UNSPECIFIED;
  }
  const auto& sel = g.selector();
  if (!EmptyOrContains(sel.tiers(), static_cast<int>(c.tier()))) {
    return v1::SHARING_ACCESS_UNSPECIFIED;
  }
  if (!EmptyOrContains(sel.regions(), c.tags().region())) {
    return v1::SHARING_ACCESS_UNSPECIFIED;
  }
  if (!EmptyOrContains(sel.industries(), c.tags().industry())) {
    return v1::SHARING_ACCESS_UNSPECIFIED;
  }
  return g.access();
}

Access CustomerAccess(const Viewer& viewer, const v1::Customer& c,
                      const std::vector<v1::SharingGrant>& grants, absl::Time now) {
  const Principal& who = viewer.principal;
  if (InOwnerScope(who, ScopeOf(c))) {
    return Access::kOwnerScope;
  }
  Access best = Access::kNone;
  for (const auto& g : grants) {
    const std::string grantee = StripPrefix(g.grantee());
    if (std::find(viewer.unit_and_ancestors.begin(), viewer.unit_and_ancestors.end(), grantee) ==
        viewer.unit_and_ancestors.end()) {
      continue;
    }
    switch (GrantAccess(g, c, now)) {
      case v1::SHARING_ACCESS_COLLABORATE:
        best = Access::kSharedCollaborate;
        break;
      case v1::SHARING_ACCESS_READ_ONLY:
        if (best == Access::kNone) {
          best = Access::kSharedRead;
        }
        break;
      default:
        break;
    }
  }
  // A read-only grant never shows a pool customer with less than the pool's full view.
  if (c.pool_state() == v1::POOL_STATE_PUBLIC_POOL && best != Access::kSharedCollaborate) {
    return Access::kPoolRead;
  }
  if (best != Access::kNone) {
    return best;
  }
  return Access::kNone;
}

void MinimisePersonalData(v1::Customer& c) {
  c.clear_phone();
  for (auto& contact : *c.mutable_contacts()) {
    contact.clear_phone();
    contact.clear_email();
    contact.clear_wechat_id();
    contact.clear_notes();
  }
}

absl::Status DenyRead(const std::string& resource) {
  return PermissionDenied("NOT_IN_SCOPE",
                          absl::StrCat("you may not read ", resource,
                                       ": it is outside your scope and not shared with your unit"));
}

absl::Status DenyWrite(const std::string& resource) {
  return PermissionDenied(
      "NOT_IN_SCOPE", absl::StrCat("you may not change ", resource, ": it is outside your scope"));
}

}  // namespace salesops::customers
