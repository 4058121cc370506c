#include "common/redis/redis_read_cache.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"

namespace salesops {
namespace {

constexpr char kInvalidateChannel[] = "__redis__:invalidate";

std::string EntryKey(const std::vector<std::string>& command) { return EncodeCommands({command}); }

bool SendAll(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

ReadCacheTable::ReadCacheTable(std::vector<std::string> prefixes, size_t max_entries,
                               size_t recent_reports)
    : prefixes_(std::move(prefixes)),
      max_entries_(std::max<size_t>(1, max_entries)),
      recent_reports_(std::max<size_t>(1, recent_reports)) {}

bool ReadCacheTable::Tracks(const std::string& key) const {
  for (const std::string& p : prefixes_) {
    if (absl::StartsWith(key, p)) {
      return true;
    }
  }
  return false;
}

bool ReadCacheTable::Cacheable(const std::vector<std::string>& command) const {
  return command.size() >= 2 && Tracks(command[1]);
}

bool ReadCacheTable::Lookup(const std::vector<std::vector<std::string>>& commands,
                            std::vector<RedisValue>* replies, absl::Time now) {
  replies->clear();
  bool hit = !commands.empty() && absl::ToUnixNanos(now) < fresh_until_ns_.load();
  for (size_t i = 0; hit && i < commands.size(); ++i) {
    hit = Cacheable(commands[i]);
  }
  if (hit) {
    absl::ReaderMutexLock lock(&mu_);
    hit = live_;
    for (size_t i = 0; hit && i < commands.size(); ++i) {
      auto it = entries_.find(EntryKey(commands[i]));
      hit = it != entries_.end();
      if (hit) {
        replies->push_back(it->second);
      }
    }
  }
  if (!hit) {
    replies->clear();
    misses_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void ReadCacheTable::Fill(uint64_t ticket, const std::vector<std::vector<std::string>>& commands,
                          const std::vector<RedisValue>& replies) {
  if (replies.size() != commands.size()) {
    return;
  }
  absl::MutexLock lock(&mu_);
  if (!live_ || ticket < everything_at_ || ticket < floor_) {
    return;
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    if (!Cacheable(commands[i]) || replies[i].type == RedisValue::Type::kError) {
      continue;
    }
    if (auto changed = recent_.find(commands[i][1]);
        changed != recent_.end() && changed->second > ticket) {
      continue;  // reported changed after this reply was read
    }
    std::string entry = EntryKey(commands[i]);
    if (entries_.contains(entry)) {
      continue;
    }
    if (entries_.size() >= max_entries_) {
      ClearLocked();
    }
    entries_.emplace(entry, replies[i]);
    by_key_[commands[i][1]].push_back(std::move(entry));
  }
}

void ReadCacheTable::Invalidate(const std::vector<std::string>& keys) {
  absl::MutexLock lock(&mu_);
  const uint64_t gen = generation_.fetch_add(1, std::memory_order_release) + 1;
  for (const std::string& key : keys) {
    recent_[key] = gen;
    recent_order_.emplace_back(gen, key);
    while (recent_order_.size() > recent_reports_) {
      auto& [old_gen, old_key] = recent_order_.front();
      if (auto r = recent_.find(old_key); r != recent_.end() && r->second == old_gen) {
        recent_.erase(r);
      }
      floor_ = old_gen;
      recent_order_.pop_front();
    }
    auto it = by_key_.find(key);
    if (it == by_key_.end()) {
      continue;
    }
    for (const std::string& entry : it->second) {
      entries_.erase(entry);
    }
    by_key_.erase(it);
  }
}

void ReadCacheTable::InvalidateAll() {
  absl::MutexLock lock(&mu_);
  EverythingLocked();
}

void ReadCacheTable::SetLive(bool live) {
  absl::MutexLock lock(&mu_);
  EverythingLocked();
  live_ = live;
  if (!live) {
    fresh_until_ns_.store(0);
  }
}

void ReadCacheTable::ConfirmFreshUntil(absl::Time until) {
  int64_t ns = absl::ToUnixNanos(until);
  int64_t seen = fresh_until_ns_.load();
  while (seen < ns && !fresh_until_ns_.compare_exchange_weak(seen, ns)) {
  }
}

size_t ReadCacheTable::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return entries_.size();
}

void ReadCacheTable::ClearLocked() {
  entries_.clear();
  by_key_.clear();
}

void ReadCacheTable::EverythingLocked() {
  everything_at_ = generation_.fetch_add(1, std::memory_order_release) + 1;
  ClearLocked();
  // Every reply read before now is refused anyway: the per-key memory can go.
  recent_.clear();
  recent_order_.clear();
}

RedisReadCache::RedisReadCache(RedisOptions redis, Options options)
    : redis_(std::move(redis)),
      options_(std::move(options)),
      table_(options_.prefixes, options_.max_entries) {
  listener_ = std::thread([this] { Listen(); });
}

RedisReadCache::~RedisReadCache() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (fd_ >= 0) {
      ::shutdown(fd_, SHUT_RDWR);  // wakes the listener's poll
    }
  }
  listener_.join();
}

bool RedisReadCache::live() const {
  absl::MutexLock lock(&mu_);
  return live_;
}

bool RedisReadCache::AwaitLive(absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithDeadline(absl::Condition(&live_), deadline);
}

int64_t RedisReadCache::reports() const {
  absl::MutexLock lock(&mu_);
  return reports_;
}

bool RedisReadCache::AwaitReports(int64_t at_least, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto enough = [this, at_least]()
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return reports_ >= at_least; };
  return mu_.AwaitWithDeadline(absl::Condition(&enough), deadline);
}

int64_t RedisReadCache::connections_opened() const {
  absl::MutexLock lock(&mu_);
  return connections_opened_;
}

bool RedisReadCache::AwaitConnectionsOpened(int64_t at_least, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto enough = [this, at_least]()
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return connections_opened_ >= at_least; };
  return mu_.AwaitWithDeadline(absl::Condition(&enough), deadline);
}

int64_t RedisReadCache::connection_id() const {
  absl::MutexLock lock(&mu_);
  return connection_id_;
}

void RedisReadCache::Listen() {
  absl::Duration backoff = absl::Milliseconds(50);
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        return;
      }
    }
    if (Session()) {
      backoff = absl::Milliseconds(50);
    }
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff);
    backoff = std::min(backoff * 2, absl::Seconds(1));
  }
}

bool RedisReadCache::Session() {
  RedisConnection conn(redis_, redis_.command_timeout);
  absl::StatusOr<RedisValue> id =
      conn.Connect().ok() ? conn.Command({"CLIENT", "ID"})
                          : absl::StatusOr<RedisValue>(absl::UnavailableError("connect"));
  std::vector<std::string> tracking = {
      "CLIENT", "TRACKING", "on", "REDIRECT", id.ok() ? absl::StrCat(id->integer) : "", "BCAST"};
  for (const std::string& p : options_.prefixes) {
    tracking.push_back("PREFIX");
    tracking.push_back(p);
  }
  absl::StatusOr<RedisValue> tracked =
      id.ok() ? conn.Command(tracking) : absl::StatusOr<RedisValue>(id.status());
  if (!tracked.ok()) {
    // Retried every second at most while it fails (reads go to Redis meanwhile):
    // logged once a minute, not on every attempt.
    absl::Time now = absl::Now();
    if (now - last_failure_logged_ >= absl::Minutes(1)) {
      last_failure_logged_ = now;
      Log(LogLevel::kWarning,
          "redis read cache: cannot ask Redis for change reports; reads go to Redis, retrying",
          {{"error", std::string(tracked.status().message())}});
    }
    return false;
  }
  const int fd = conn.socket_fd();
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      return false;
    }
    fd_ = fd;
    connection_id_ = id->integer;
    ++connections_opened_;
  }
  // From here the socket is ours: nothing is due on it, and in RESP2 Redis sends
  // reports only once the subscription is made.
  const absl::Time subscribe_sent = absl::Now();
  bool was_live = false;
  std::deque<absl::Time> pings;  // sent, not yet answered
  absl::Time next_ping = subscribe_sent + options_.ping_interval;
  redisReader* parser = redisReaderCreate();
  std::vector<char> buf(16 * 1024);
  std::string why;
  if (!SendAll(fd, EncodeCommands({{"SUBSCRIBE", kInvalidateChannel}}))) {
    why = "subscribe not sent";
  }
  while (why.empty()) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        why = "stopping";
        break;
      }
    }
    absl::Time now = absl::Now();
    const absl::Time oldest = pings.empty() ? (was_live ? now : subscribe_sent) : pings.front();
    if (now - oldest > redis_.command_timeout) {
      why = "no answer within the command timeout";
      break;
    }
    if (was_live && now >= next_ping) {
      if (!SendAll(fd, EncodeCommands({{"PING"}}))) {
        why = "ping not sent";
        break;
      }
      pings.push_back(now);
      next_ping = now + options_.ping_interval;
    }
    int wait_ms =
        static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(next_ping - now), 1, 100));
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, wait_ms);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready == 0) {
      continue;
    }
    ssize_t got = ready < 0 ? -1 : ::read(fd, buf.data(), buf.size());
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
      continue;
    }
    if (got <= 0) {
      why = got == 0 ? "connection closed" : "read failed";
      break;
    }
    if (redisReaderFeed(parser, buf.data(), static_cast<size_t>(got)) != REDIS_OK) {
      why = "unreadable reply";
      break;
    }
    for (;;) {
      void* raw = nullptr;
      if (redisReaderGetReply(parser, &raw) != REDIS_OK) {
        why = "unreadable reply";
        break;
      }
      if (raw == nullptr) {
        break;
      }
      RedisValue v = RedisValueFromReply(static_cast<redisReply*>(raw));
      freeReplyObject(raw);
      const std::string kind =
          v.is_array() && !v.elements.empty() ? v.elements[0].str : std::string();
      if (kind == "subscribe") {
        table_.SetLive(true);
        table_.ConfirmFreshUntil(subscribe_sent + options_.max_silence);
        was_live = true;
        next_ping = absl::Now() + options_.ping_interval;
        absl::MutexLock lock(&mu_);
        live_ = true;
      } else if (kind == "message" && v.elements.size() == 3) {
        const RedisValue& keys = v.elements[2];
        if (keys.is_array()) {
          std::vector<std::string> names;
          names.reserve(keys.elements.size());
          for (const RedisValue& k : keys.elements) {
            names.push_back(k.str);
          }
          table_.Invalidate(names);
        } else {
          table_.InvalidateAll();  // FLUSHALL / FLUSHDB: a nil list
        }
        absl::MutexLock lock(&mu_);
        ++reports_;
      } else if (kind == "pong" && !pings.empty()) {
        table_.ConfirmFreshUntil(pings.front() + options_.max_silence);
        pings.pop_front();
      } else {
        why = absl::StrCat("unexpected reply ", v.type == RedisValue::Type::kError ? v.str : kind);
        break;
      }
    }
  }
  redisReaderFree(parser);
  table_.SetLive(false);
  {
    absl::MutexLock lock(&mu_);
    live_ = false;
    fd_ = -1;  // before `conn` closes it: the destructor must not shut a reused fd
    connection_id_ = 0;
    if (!stopping_) {
      Log(LogLevel::kWarning,
          "redis read cache: listener connection ended; cache off until it reopens",
          {{"reason", why}});
    }
  }
  return was_live;
}

}  // namespace salesops
