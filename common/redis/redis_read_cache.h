// Read replies kept in process and kept exact by Redis itself (server-assisted
// client-side caching, `CLIENT TRACKING ... BCAST`): a read of a key under one of
// the cache's prefixes is answered from memory until Redis says the key changed.
//
// How it stays exact:
//  - One listener connection asks Redis to report every change of a key under
//    the prefixes (BCAST mode, redirected to itself) and subscribes to
//    `__redis__:invalidate`. Redis sends the report while it runs the write, so
//    the listener hears of a change (a script's writes, an expiry, FLUSHALL too)
//    moments after it is made, on any connection of any process.
//  - A read that misses takes a ticket before it is sent; its reply to a command
//    is kept only if that command's key was not reported changed since (a change
//    reported while the read was on the wire may be newer than its reply). The
//    table remembers the last `recent_reports` keys reported; a reply older than
//    that memory is not kept.
//  - The table serves nothing before the subscription is confirmed, and is
//    emptied when the listener's connection ends (reports are lost while it is
//    down) and when it opens again.
//  - The listener sends PING every `ping_interval`; its answer comes after every
//    report of a change made before it. A lookup is answered from memory only
//    while the last answered PING was sent less than `max_silence` ago, so a
//    listener that stalls (a slow network, a paused process) stops the cache
//    instead of serving what it has not heard about.
//  - Writes made by this process: the keys a commit wrote are dropped after it
//    and before its acknowledgement (InvalidatingCommitter, caching_kv.h), so a
//    caller reads its own write on the replica that made it.
// What it does not give: another replica may answer from memory for as long as
// its listener takes to hear of a change (one message from Redis; never more
// than `max_silence`). Use it for reads a user looks at,
// never for the reads a write decides on.
//
//   RedisReadCache cache(redis_options, {.prefixes = {"org:{org}:unit:"}});
//   std::vector<RedisValue> hit;
//   if (!cache.table().Lookup(commands, &hit, absl::Now())) {
//     uint64_t ticket = cache.table().Ticket();
//     ... read from Redis, then cache.table().Fill(ticket, commands, replies);
//   }
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/redis/redis_client.h"

namespace salesops {

// The cache's state, without I/O: entries per read command, the index from a
// key to the entries that read it, and whether lookups may be answered.
// Thread-safe.
class ReadCacheTable {
 public:
  ReadCacheTable(std::vector<std::string> prefixes, size_t max_entries,
                 size_t recent_reports = 8192);

  // A command is cached only when its key (argument 1: every KvReader command
  // has its key there) starts with one of the prefixes: only those keys' changes
  // are reported.
  bool Cacheable(const std::vector<std::string>& command) const;
  // `key` is under one of the prefixes.
  bool Tracks(const std::string& key) const;

  // All of `commands`' replies from memory (true), or false: one is not cached,
  // the table is not live, or it was last confirmed fresh before `now`.
  bool Lookup(const std::vector<std::vector<std::string>>& commands,
              std::vector<RedisValue>* replies, absl::Time now);
  // Taken before a read is sent; Fill keeps a command's reply only if its key
  // was not invalidated in between (nor everything).
  uint64_t Ticket() const { return generation_.load(std::memory_order_acquire); }
  // Keeps the cacheable commands' replies (error replies are not kept).
  void Fill(uint64_t ticket, const std::vector<std::vector<std::string>>& commands,
            const std::vector<RedisValue>& replies);

  // Drops what read these keys.
  void Invalidate(const std::vector<std::string>& keys);
  // Drops everything (FLUSHALL's report, this process' own commits).
  void InvalidateAll();
  // Live: lookups may be answered (the subscription is confirmed). Either way
  // the table is emptied: a change of state means reports may have been missed.
  void SetLive(bool live);
  // Lookups are answered until `until` (the listener's last answered PING
  // plus max_silence).
  void ConfirmFreshUntil(absl::Time until);

  size_t size() const;
  int64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  int64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  void ClearLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A new generation that invalidates everything read before it.
  void EverythingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::vector<std::string> prefixes_;
  const size_t max_entries_;
  const size_t recent_reports_;
  mutable absl::Mutex mu_;
  // Entry key: the command in Redis' protocol (unambiguous).
  absl::flat_hash_map<std::string, RedisValue> entries_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::vector<std::string>> by_key_ ABSL_GUARDED_BY(mu_);
  bool live_ ABSL_GUARDED_BY(mu_) = false;
  // The generation each recently invalidated key was last invalidated at, and
  // the order they came in (to forget the oldest). Replies read before `floor_`
  // (forgotten) or before `everything_at_` are not kept.
  absl::flat_hash_map<std::string, uint64_t> recent_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<uint64_t, std::string>> recent_order_ ABSL_GUARDED_BY(mu_);
  uint64_t floor_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t everything_at_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<int64_t> fresh_until_ns_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<int64_t> hits_{0};
  std::atomic<int64_t> misses_{0};
};

class RedisReadCache {
 public:
  struct Options {
    std::vector<std::string> prefixes;
    size_t max_entries = 100000;  // beyond it the table is emptied and fills again
    absl::Duration ping_interval = absl::Milliseconds(100);
    absl::Duration max_silence = absl::Milliseconds(500);
  };

  // Starts the listener (it opens its connection in the background, and
  // reopens it, with a growing back-off, while Redis is away).
  RedisReadCache(RedisOptions redis, Options options);
  // Stops and joins the listener.
  ~RedisReadCache();
  RedisReadCache(const RedisReadCache&) = delete;
  RedisReadCache& operator=(const RedisReadCache&) = delete;

  ReadCacheTable& table() { return table_; }

  // Subscribed and told Redis what to report (readiness, tests).
  bool live() const;
  bool AwaitLive(absl::Time deadline) const;
  // Reports handled so far (a key list, or FLUSHALL's), and the listener's
  // connections opened: barriers for tests.
  int64_t reports() const;
  bool AwaitReports(int64_t at_least, absl::Time deadline) const;
  int64_t connections_opened() const;
  bool AwaitConnectionsOpened(int64_t at_least, absl::Time deadline) const;
  // The listener's connection id at Redis (0 while none), so tests can cut it.
  int64_t connection_id() const;

 private:
  void Listen();
  // One connection's life: true if it was live at some point (back-off resets).
  bool Session();

  const RedisOptions redis_;
  const Options options_;
  ReadCacheTable table_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool live_ ABSL_GUARDED_BY(mu_) = false;
  int fd_ ABSL_GUARDED_BY(mu_) = -1;
  int64_t connection_id_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t reports_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t connections_opened_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_failure_logged_ = absl::InfinitePast();  // the listener's own
  std::thread listener_;
};

}  // namespace salesops
