// Per-caller request rate limiting (token buckets keyed by the principal), so
// one rep's script cannot take a service's capacity from everybody else. The
// guard (RpcRunner) asks before running a handler and answers
// RESOURCE_EXHAUSTED RATE_LIMITED with a retry delay when the bucket is empty.
//
//   PrincipalRateLimiter limiter({.per_second = 100, .burst = 400}, clock);
//   absl::Duration wait;
//   if (!limiter.Allow(principal, &wait)) return RateLimited(wait);
#pragma once

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/time/clock.h"

namespace salesops {

struct RateLimitOptions {
  // Sustained requests per second per principal; <= 0 disables limiting.
  double per_second = 100;
  // Requests a principal may make at once after being idle.
  double burst = 400;
  // Admins run migrations and loaders: their buckets are this much larger.
  double admin_multiplier = 10;
  // Buckets kept at most (idle full buckets are dropped first when reached).
  size_t max_principals = 100000;
};

// Thread-safe.
class PrincipalRateLimiter {
 public:
  PrincipalRateLimiter(RateLimitOptions options, const Clock& clock)
      : options_(options), clock_(clock) {}
  bool enabled() const { return options_.per_second > 0; }
  // Takes one token; false (and how long until one is there) when empty.
  bool Allow(const Principal& who, absl::Duration* retry_after);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };
  void EvictIdle(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RateLimitOptions options_;
  const Clock& clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salesops
