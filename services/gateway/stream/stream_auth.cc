#include "services/gateway/stream/stream_auth.h"

#include "common/status/errors.h"

namespace salesops::gateway {

absl::StatusOr<Principal> StreamAuthenticator::Check(absl::string_view token) {
  if (token.empty()) {
    return Unauthenticated("TOKEN_MISSING",
                           "missing 'Authorization: Bearer <jwt>' (or access_token parameter)");
  }
  absl::StatusOr<Principal> p = verifier_.Verify(token);
  if (!p.ok()) {
    return p.status();
  }
  if (resolver_ != nullptr) {
    if (absl::Status s = resolver_->Check(*p); !s.ok()) {
      return s;
    }
  }
  return p;
}

absl::StatusOr<Viewer> StreamAuthenticator::Authenticate(absl::string_view token) {
  absl::StatusOr<Principal> p = Check(token);
  if (!p.ok()) {
    return p.status();
  }
  Viewer v;
  v.role = p->role;
  v.member_id = p->member_id;
  v.unit = p->org_unit_id;
  v.region = org_.RegionOf(p->org_unit_id);
  return v;
}

absl::Status StreamAuthenticator::Recheck(absl::string_view token) { return Check(token).status(); }

}  // namespace salesops::gateway
