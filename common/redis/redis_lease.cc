#include "common/redis/redis_lease.h"

#include <unistd.h>

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log/log.h"

namespace salesops {
namespace {

// KEYS[1] lease; ARGV[1] owner, ARGV[2] ttl in ms. Returns 1 when the caller
// holds the lease afterwards (acquired or renewed), 0 when another owner does.
// Only GET/SET/DEL: what a service's Redis ACL user may run.
const LuaScript& AcquireOrRenew() {
  static const LuaScript kScript(R"lua(
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
)lua");
  return kScript;
}

const LuaScript& Release() {
  static const LuaScript kScript(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua");
  return kScript;
}

std::string DefaultOwner() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  std::random_device rd;
  return absl::StrFormat("%s-%d-%08x", host, getpid(), rd());
}

}  // namespace

RedisLease::RedisLease(RedisClient& redis, LeaseOptions options)
    : redis_(redis), options_(std::move(options)) {
  if (options_.owner.empty()) {
    options_.owner = DefaultOwner();
  }
}

RedisLease::~RedisLease() { Stop(); }

void RedisLease::Start() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void RedisLease::StopThread() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

void RedisLease::Stop() {
  StopThread();
  bool had;
  {
    absl::MutexLock lock(&mu_);
    had = valid_until_ > Clock::now();
    valid_until_ = Clock::time_point();
  }
  if (had) {
    auto r = redis_.Eval(Release(), {options_.key}, {options_.owner});
    if (!r.ok()) {
      LogWarning("lease: release failed; it expires by itself",
                 {{"key", options_.key}, {"error", std::string(r.status().message())}});
    }
  }
}

void RedisLease::Abandon() {
  StopThread();
  absl::MutexLock lock(&mu_);
  valid_until_ = Clock::time_point();
}

bool RedisLease::held() const {
  absl::MutexLock lock(&mu_);
  return valid_until_ > Clock::now();
}

bool RedisLease::WaitHeld(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  absl::MutexLock lock(&mu_);
  while (!(valid_until_ > Clock::now())) {
    if (absl::Now() >= deadline) {
      return false;
    }
    // Woken by the renewal thread on each change; bounded so expiry is seen.
    mu_.AwaitWithDeadline(
        absl::Condition(
            +[](const Clock::time_point* until) { return *until > Clock::now(); }, &valid_until_),
        deadline);
  }
  return true;
}

absl::StatusOr<bool> RedisLease::TryOnce() {
  const Clock::time_point sent = Clock::now();
  const int64_t ttl_ms = absl::ToInt64Milliseconds(options_.ttl);
  auto r = redis_.Eval(AcquireOrRenew(), {options_.key}, {options_.owner, std::to_string(ttl_ms)});
  absl::MutexLock lock(&mu_);
  const bool was_held = valid_until_ > Clock::now();
  if (!r.ok()) {
    // Keep what we had: it runs out by itself at valid_until_.
    return r.status();
  }
  if (r->integer == 1) {
    // The key lives until at least sent + ttl in Redis' clock; stop calling
    // ourselves the holder a tenth earlier, for clock rate differences.
    valid_until_ = sent + std::chrono::milliseconds(ttl_ms - ttl_ms / 10);
    if (!was_held) {
      ++acquisitions_;
      LogInfo("lease acquired", {{"key", options_.key}, {"owner", options_.owner}});
    }
    return true;
  }
  valid_until_ = Clock::time_point();
  if (was_held) {
    LogWarning("lease lost to another owner", {{"key", options_.key}});
  }
  return false;
}

void RedisLease::Loop() {
  const absl::Duration every = options_.ttl / 3;
  while (true) {
    absl::StatusOr<bool> held = TryOnce();
    if (!held.ok()) {
      LogWarning("lease: redis error, retrying",
                 {{"key", options_.key}, {"error", std::string(held.status().message())}});
    }
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stop_), every)) {
      return;
    }
  }
}

}  // namespace salesops
