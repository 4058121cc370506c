#include "common/server/rate_limiter.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace salesops {

bool PrincipalRateLimiter::Allow(const Principal& who, absl::Duration* retry_after) {
  if (!enabled()) {
    return true;
  }
  const double scale = who.role == Role::kAdmin ? options_.admin_multiplier : 1.0;
  const double rate = options_.per_second * scale;
  const double burst = std::max(1.0, options_.burst * scale);
  const absl::Time now = clock_.Now();
  // The role is part of the key: a token for another role is another bucket.
  const std::string key = absl::StrCat(who.member_id, "|", static_cast<int>(who.role));
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_principals) {
      EvictIdle(now);
    }
    it = buckets_.emplace(key, Bucket{burst, now}).first;
  }
  Bucket& b = it->second;
  const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - b.updated));
  b.tokens = std::min(burst, b.tokens + elapsed * rate);
  b.updated = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  if (retry_after != nullptr) {
    *retry_after = absl::Seconds((1.0 - b.tokens) / rate);
  }
  return false;
}

void PrincipalRateLimiter::EvictIdle(absl::Time now) {
  // A bucket idle long enough to be full again carries no state worth keeping.
  const absl::Duration refill = absl::Seconds(options_.burst / options_.per_second);
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (now - it->second.updated >= refill) {
      buckets_.erase(it++);
    } else {
      ++it;
    }
  }
  if (buckets_.size() >= options_.max_principals) {
    buckets_.clear();  // under attack: start over
  }
}

}  // namespace salesops
