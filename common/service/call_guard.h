// The parts of the per-call guard a service turns on at start-up, from flags
// shared by every service (each with its SALESOPS_* environment twin):
//   --jwt_max_ttl        longest token lifetime accepted (default 8h)
//   --rpc_rate_limit     sustained requests/s per caller (default 100; 0 = off)
//   --rpc_rate_burst     requests a caller may make at once (default 400)
//   --rpc_max_duration   longest a handler may run whatever the client asks (30s)
//   --member_check_ttl   how long a member's current role/unit is remembered (2s)
// and the token audience: --jwt_audience, default "salesops.<service>".
//
//   ServiceSettings settings = LoadServiceSettings("org", ...);
//   ApplyTokenFlags("org", settings.jwt);
//   JwtVerifier verifier(settings.jwt, clock);
//   RpcRunner rpc("org", verifier, policy, metrics, &workers);
//   CallGuard guard(rpc, &member_lookup, clock);   // keep alive while serving
#pragma once

#include <memory>
#include <string>

#include "common/auth/jwt.h"
#include "common/auth/principal_resolver.h"
#include "common/server/rate_limiter.h"
#include "common/server/rpc.h"
#include "common/time/clock.h"

namespace salesops {

// Fills the audience (when not set) and max_ttl from the flags.
void ApplyTokenFlags(const std::string& service, JwtVerifierOptions& jwt);

// Installs the rate limiter, the member check (when `lookup` is given) and the
// handler time bound on `rpc`; owns them. Must outlive the server.
class CallGuard {
 public:
  CallGuard(RpcRunner& rpc, MemberLookup* lookup, const Clock& clock);

 private:
  std::unique_ptr<PrincipalRateLimiter> limiter_;
  std::unique_ptr<CachingPrincipalResolver> resolver_;
};

}  // namespace salesops
