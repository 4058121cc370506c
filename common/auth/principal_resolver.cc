#include "common/auth/principal_resolver.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace salesops {

absl::Status CheckAgainst(const Principal& claimed, const std::optional<CurrentMember>& current) {
  if (!current) {
    return absl::OkStatus();  // not known yet: the issuer's word stands
  }
  if (current->left) {
    return Unauthenticated("MEMBER_LEFT", "the token's member has left the organisation");
  }
  if (current->role != claimed.role) {
    return Unauthenticated(
        "TOKEN_STALE",
        absl::StrCat("the token says role '", RoleName(claimed.role), "' but the member is now '",
                     RoleName(current->role), "'; sign in again"));
  }
  if (!current->org_unit_id.empty() && current->org_unit_id != claimed.org_unit_id) {
    return Unauthenticated("TOKEN_STALE",
                           "the token's org unit is no longer the member's; sign in again");
  }
  return absl::OkStatus();
}

std::optional<absl::Status> CachingPrincipalResolver::CheckCached(const Principal& claimed) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = cache_.find(claimed.member_id);
  if (it != cache_.end() && it->second.expires > now) {
    return CheckAgainst(claimed, it->second.member);
  }
  return std::nullopt;
}

absl::Status CachingPrincipalResolver::Check(const Principal& claimed) {
  const absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(claimed.member_id);
    if (it != cache_.end() && it->second.expires > now) {
      return CheckAgainst(claimed, it->second.member);
    }
  }
  absl::StatusOr<std::optional<CurrentMember>> current = lookup_.Lookup(claimed.member_id);
  if (!current.ok()) {
    // The view of the org is unreachable: fail closed, retryable.
    return absl::UnavailableError("cannot check the caller against the org directory; retry");
  }
  {
    absl::MutexLock lock(&mu_);
    if (cache_.size() >= max_entries_) {
      cache_.clear();
    }
    cache_[claimed.member_id] = Entry{*current, now + ttl_};
  }
  return CheckAgainst(claimed, *current);
}

}  // namespace salesops
