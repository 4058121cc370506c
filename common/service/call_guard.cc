#include "common/service/call_guard.h"

#include "absl/flags/flag.h"
#include "common/config/config.h"

ABSL_FLAG(absl::Duration, jwt_max_ttl, absl::Hours(8),
          "Longest bearer token lifetime (exp - iat) accepted");
ABSL_FLAG(double, rpc_rate_limit, 100,
          "Sustained requests per second per caller (admins 10x); 0 = no limit");
ABSL_FLAG(double, rpc_rate_burst, 400, "Requests a caller may make at once after a pause");
ABSL_FLAG(absl::Duration, rpc_max_duration, absl::Seconds(30),
          "Longest a handler may run, whatever deadline the client set");
ABSL_FLAG(absl::Duration, member_check_ttl, absl::Seconds(2),
          "How long a caller's current role and unit are remembered (a departure or "
          "demotion takes effect within this)");

namespace salesops {

void ApplyTokenFlags(const std::string& service, JwtVerifierOptions& jwt) {
  ConfigCheck check;
  if (jwt.audience.empty()) {
    jwt.audience = ServiceAudience(service);
  }
  jwt.max_ttl = absl::GetFlag(FLAGS_jwt_max_ttl);
  if (jwt.max_ttl < absl::Minutes(1) || jwt.max_ttl > absl::Hours(24 * 7)) {
    check.Fail("jwt_max_ttl", "must be between 1m and 168h");
  }
  if (absl::GetFlag(FLAGS_rpc_rate_limit) < 0) {
    check.Fail("rpc_rate_limit", "must be >= 0");
  }
  if (absl::GetFlag(FLAGS_rpc_rate_burst) < 1) {
    check.Fail("rpc_rate_burst", "must be >= 1");
  }
  if (absl::GetFlag(FLAGS_rpc_max_duration) < absl::Seconds(1)) {
    check.Fail("rpc_max_duration", "must be at least 1s");
  }
  if (absl::GetFlag(FLAGS_member_check_ttl) < absl::ZeroDuration() ||
      absl::GetFlag(FLAGS_member_check_ttl) > absl::Minutes(5)) {
    check.Fail("member_check_ttl", "must be between 0s and 5m");
  }
  check.ExitIfInvalid();
}

CallGuard::CallGuard(RpcRunner& rpc, MemberLookup* lookup, const Clock& clock) {
  RateLimitOptions limits;
  limits.per_second = absl::GetFlag(FLAGS_rpc_rate_limit);
  limits.burst = absl::GetFlag(FLAGS_rpc_rate_burst);
  limiter_ = std::make_unique<PrincipalRateLimiter>(limits, clock);
  if (limiter_->enabled()) {
    rpc.SetRateLimiter(limiter_.get());
  }
  if (lookup != nullptr) {
    resolver_ = std::make_unique<CachingPrincipalResolver>(*lookup, clock,
                                                           absl::GetFlag(FLAGS_member_check_ttl));
    rpc.SetPrincipalResolver(resolver_.get());
  }
  rpc.SetMaxDuration(absl::GetFlag(FLAGS_rpc_max_duration));
}

}  // namespace salesops
