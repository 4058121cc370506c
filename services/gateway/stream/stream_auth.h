// Who opens the live stream. Unlike Connect calls (whose token the gateway
// passes to the services, which decide), the stream is served by the gateway
// itself, so it checks the bearer token itself: signature, expiry and audience
// salesops.gateway (JwtVerifier), then the member against the gateway's org
// directory (a member who left, was demoted or moved is refused, as every
// service refuses them), and looks the viewer's region up once.
//
//   StreamAuthenticator auth(verifier, &resolver, org_view);
//   absl::StatusOr<Viewer> viewer = auth.Authenticate(token);   // UNAUTHENTICATED …
//   … every heartbeat: if (!auth.Recheck(token).ok()) { send an error event; close; }
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/jwt.h"
#include "common/auth/principal_resolver.h"
#include "services/gateway/domain/event_scope.h"

namespace salesops::gateway {

class StreamAuthenticator {
 public:
  // `resolver` may be null (no member check).
  StreamAuthenticator(const JwtVerifier& verifier, PrincipalResolver* resolver, OrgView& org)
      : verifier_(verifier), resolver_(resolver), org_(org) {}

  absl::StatusOr<Viewer> Authenticate(absl::string_view token);
  // OK while the token is unexpired and its member still holds that role and unit.
  absl::Status Recheck(absl::string_view token);

 private:
  absl::StatusOr<Principal> Check(absl::string_view token);

  const JwtVerifier& verifier_;
  PrincipalResolver* resolver_;
  OrgView& org_;
};

}  // namespace salesops::gateway
