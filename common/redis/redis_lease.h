// A named lease in Redis: of the processes asking for the same key, at most
// one holds it at a time. Replicas of a service use it so that work that must
// have one owner — the outbox relay (per-key event order), the scheduled jobs
// (no doubled side effects) — runs on exactly one replica, and moves to another
// one when the holder stops (released at once) or dies (after `ttl`).
//
//   RedisLease lease(redis, {.key = "org:{org}:outbox:lease:org:relay", .owner = "", .ttl = ...});
//   lease.Start();
//   if (lease.held()) { ... }          // checked before each unit of work
//   lease.Stop();                      // releases it if held
//
// How: the key holds the owner's random id with a TTL. A background thread
// acquires it (set when absent) or renews it (when it still holds our id)
// every ttl/3, in one script. held() is true only until the local monotonic
// time at which the key may expire, minus a margin, measured from *before*
// the renewal was sent; so a holder that cannot reach Redis, or is paused,
// stops calling itself the holder before another process can acquire it.
// A holder cut off by a pause longer than its lease can still finish a unit of
// work it had begun: work guarded by a lease must be idempotent (jobs are; the
// relay's duplicates are dropped by consumers by event id).
//
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/redis/redis_client.h"

namespace salesops {

struct LeaseOptions {
  std::string key;
  // Unique per process; defaults to host-pid-random.
  std::string owner;
  absl::Duration ttl = absl::Seconds(10);
};

class RedisLease {
 public:
  RedisLease(RedisClient& redis, LeaseOptions options);
  ~RedisLease();
  RedisLease(const RedisLease&) = delete;
  RedisLease& operator=(const RedisLease&) = delete;

  void Start();
  // Stops renewing and releases the lease if this process holds it, so a
  // replica takes over at once (a rolling upgrade does not wait for the TTL).
  void Stop();
  // Stops renewing without releasing: what a crash looks like to the others
  // (tests).
  void Abandon();

  // Whether this process holds the lease now (see the header comment).
  bool held() const;
  // Waits up to `timeout` for held(); returns it.
  bool WaitHeld(absl::Duration timeout) const;
  // One acquire-or-renew round on the calling thread (the background thread
  // runs this): true when held afterwards; an error when Redis did not answer.
  absl::StatusOr<bool> TryOnce();

  // How many times this process became the holder (not counting renewals).
  int64_t acquisitions() const { return acquisitions_.load(); }
  const std::string& owner() const { return options_.owner; }
  const std::string& key() const { return options_.key; }

 private:
  using Clock = std::chrono::steady_clock;
  void Loop();
  void StopThread();

  RedisClient& redis_;
  LeaseOptions options_;
  std::atomic<int64_t> acquisitions_{0};
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  // Held until this instant (monotonic); the epoch when not held.
  Clock::time_point valid_until_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salesops
