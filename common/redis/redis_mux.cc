#include "common/redis/redis_mux.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <exception>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"

namespace salesops {
namespace {

void Deliver(RedisMux::Done& done, absl::StatusOr<std::vector<RedisValue>> result) {
  try {
    done(std::move(result));
  } catch (const std::exception& e) {
    Log(LogLevel::kError, "redis mux: a reply handler threw", {{"error", e.what()}});
  } catch (...) {
    Log(LogLevel::kError, "redis mux: a reply handler threw");
  }
}

absl::Status OutcomeUnknown(absl::string_view why) {
  return MakeError(absl::StatusCode::kDeadlineExceeded, "REDIS_OUTCOME_UNKNOWN",
                   absl::StrCat("redis: no reply (", why, "); the command may have run"));
}

}  // namespace

// One connection, the calls waiting on it in the order they were written, and
// the thread that reads its replies.
class RedisMux::Lane {
 public:
  explicit Lane(const RedisOptions& options) : options_(options) {}

  void Start(bool open_now) {
    if (open_now) {
      Open();
    }
    reader_ = std::thread([this] { Read(); });
  }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      if (fd_ >= 0) {
        ::shutdown(fd_, SHUT_RDWR);  // wakes the reader's poll
      }
    }
    if (reader_.joinable()) {
      reader_.join();
    }
    FailAll(Unavailable(reason::kRedisUnavailable, "redis: shutting down"));
    FailParked(Unavailable(reason::kRedisUnavailable, "redis: shutting down"));
  }

  // False (and `done` untouched) when this lane has no open connection.
  bool TrySend(const std::string& bytes, size_t replies, Done& done) {
    absl::MutexLock lock(&mu_);
    if (fd_ < 0 || stopping_) {
      return false;
    }
    SendLocked(bytes, replies, std::move(done));
    return true;
  }

  // For a call that found no lane open: sent now if this lane has opened
  // meanwhile, otherwise held while the reader tries to open the connection at
  // once (not after its back-off); sent when it opens, UNAVAILABLE when it
  // cannot. So the first call after Redis comes back reconnects, as a
  // RedisClient call does, instead of being refused until the back-off ends.
  void SendOrPark(std::string bytes, size_t replies, Done& done) {
    {
      absl::MutexLock lock(&mu_);
      if (!stopping_) {
        if (fd_ >= 0) {
          SendLocked(bytes, replies, std::move(done));
        } else {
          parked_.push_back(Parked{std::move(bytes), replies, std::move(done)});
        }
        return;
      }
    }
    Deliver(done, Unavailable(reason::kRedisUnavailable, "redis: shutting down"));
  }

  bool open() const {
    absl::MutexLock lock(&mu_);
    return fd_ >= 0;
  }

  int64_t writes() const { return writes_.load(std::memory_order_relaxed); }

  bool AwaitOpen(absl::Time deadline) const {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithDeadline(absl::Condition(this, &Lane::OpenLocked), deadline);
  }

 private:
  bool OpenLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return fd_ >= 0; }
  bool StoppingOrParkedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !parked_.empty();
  }

  struct Call {
    size_t expected;
    std::vector<RedisValue> replies;
    Done done;
    absl::Time sent;
  };
  struct Parked {
    std::string bytes;
    size_t replies;
    Done done;
  };

  // Queues a call on the open connection; it then waits for its replies. With
  // nothing unanswered on the connection its commands are written at once;
  // otherwise they are held, and the reader writes everything held in one go
  // when the next reply arrives (a reply is due, so it will). So under load
  // many calls leave in one write, and Redis reads them in one.
  void SendLocked(const std::string& bytes, size_t replies, Done done)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    waiting_.push_back(Call{replies, {}, std::move(done), absl::Now()});
    if (sent_unanswered_ > 0 || held_calls_ > 0) {
      held_.append(bytes);
      ++held_calls_;
      return;
    }
    ++sent_unanswered_;
    WriteLocked(bytes);
  }

  // Writes the held calls (the reader, on a reply).
  void FlushHeldLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (held_calls_ == 0) {
      return;
    }
    sent_unanswered_ += held_calls_;
    held_calls_ = 0;
    WriteLocked(held_);
    held_.clear();
  }

  void WriteLocked(const std::string& bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    writes_.fetch_add(1, std::memory_order_relaxed);
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        // The reader sees the connection end and fails every waiting call,
        // this one included (part of it may have been sent).
        ::shutdown(fd_, SHUT_RDWR);
        break;
      }
      sent += static_cast<size_t>(n);
    }
  }

  // Opens the connection and sends the calls held for it.
  bool Open() {
    auto conn = std::make_unique<RedisConnection>(options_, options_.command_timeout);
    if (absl::Status s = conn->Connect(); !s.ok()) {
      Log(LogLevel::kWarning, "redis mux: cannot open a connection; retrying",
          {{"error", std::string(s.message())}});
      return false;
    }
    absl::MutexLock lock(&mu_);
    fd_ = conn->socket_fd();
    conn_ = std::move(conn);
    std::deque<Parked> parked;
    parked.swap(parked_);
    for (Parked& p : parked) {
      SendLocked(p.bytes, p.replies, std::move(p.done));
    }
    return true;
  }

  // Fails the calls held for a connection that could not be opened (or for a
  // stopping lane): nothing of theirs was sent.
  void FailParked(const absl::Status& status) {
    std::deque<Parked> failed;
    {
      absl::MutexLock lock(&mu_);
      failed.swap(parked_);
    }
    for (Parked& p : failed) {
      Deliver(p.done, status);
    }
  }

  // Closes the connection and fails every call waiting on it: those written
  // with `status`, those still held (the last ones) UNAVAILABLE, nothing of
  // theirs sent.
  void FailAll(const absl::Status& status) {
    std::deque<Call> failed;
    size_t held = 0;
    {
      absl::MutexLock lock(&mu_);
      failed.swap(waiting_);
      held = held_calls_;
      held_.clear();
      held_calls_ = 0;
      sent_unanswered_ = 0;
      conn_.reset();
      fd_ = -1;
    }
    const absl::Status unsent =
        Unavailable(reason::kRedisUnavailable, "redis: connection lost before the call was sent");
    for (size_t i = 0; i < failed.size(); ++i) {
      Deliver(failed[i].done, i + held < failed.size() ? status : unsent);
    }
  }

  void Read() {
    redisReader* parser = nullptr;
    absl::Duration backoff = absl::Milliseconds(50);
    std::vector<char> buf(64 * 1024);
    std::vector<RedisValue> values;
    std::vector<Call> finished;
    for (;;) {
      int fd;
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) {
          break;
        }
        fd = fd_;
      }
      if (fd < 0) {
        if (parser != nullptr) {
          redisReaderFree(parser);
          parser = nullptr;
        }
        if (Open()) {
          backoff = absl::Milliseconds(50);
          continue;
        }
        FailParked(Unavailable(reason::kRedisUnavailable, "redis: cannot open a connection"));
        // A call held meanwhile cuts the back-off short: it asks for an attempt now.
        absl::MutexLock lock(&mu_);
        mu_.AwaitWithTimeout(absl::Condition(this, &Lane::StoppingOrParkedLocked), backoff);
        backoff = std::min(backoff * 2, absl::Seconds(1));
        continue;
      }
      if (parser == nullptr) {
        parser = redisReaderCreate();
      }
      pollfd p{fd, POLLIN, 0};
      int ready = ::poll(&p, 1, 100);
      if (ready < 0 && errno == EINTR) {
        continue;
      }
      if (ready == 0) {
        bool late = false;
        {
          absl::MutexLock lock(&mu_);
          late =
              !waiting_.empty() && absl::Now() - waiting_.front().sent > options_.command_timeout;
        }
        if (late) {
          FailAll(OutcomeUnknown("no reply within the command timeout"));
        }
        continue;
      }
      ssize_t got = ready < 0 ? -1 : ::read(fd, buf.data(), buf.size());
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
        continue;
      }
      if (got <= 0) {
        FailAll(OutcomeUnknown(got == 0 ? "connection closed" : "read failed"));
        continue;
      }
      bool broken = redisReaderFeed(parser, buf.data(), static_cast<size_t>(got)) != REDIS_OK;
      values.clear();
      while (!broken) {
        void* raw = nullptr;
        if (redisReaderGetReply(parser, &raw) != REDIS_OK) {
          broken = true;
          break;
        }
        if (raw == nullptr) {
          break;
        }
        values.push_back(RedisValueFromReply(static_cast<redisReply*>(raw)));
        freeReplyObject(raw);
      }
      finished.clear();
      {
        absl::MutexLock lock(&mu_);
        for (RedisValue& v : values) {
          if (sent_unanswered_ == 0) {
            broken = true;  // a reply nobody asked for (or for a call not sent): out of step
            break;
          }
          Call& front = waiting_.front();
          front.replies.push_back(std::move(v));
          if (front.replies.size() == front.expected) {
            finished.push_back(std::move(front));
            waiting_.pop_front();
            --sent_unanswered_;
          }
        }
        if (!broken) {
          FlushHeldLocked();
        }
      }
      for (Call& c : finished) {
        Deliver(c.done, std::move(c.replies));
      }
      if (broken) {
        FailAll(OutcomeUnknown("unreadable reply"));
      }
    }
    if (parser != nullptr) {
      redisReaderFree(parser);
    }
  }

  const RedisOptions options_;
  mutable absl::Mutex mu_;
  std::unique_ptr<RedisConnection> conn_ ABSL_GUARDED_BY(mu_);
  int fd_ ABSL_GUARDED_BY(mu_) = -1;
  std::deque<Call> waiting_ ABSL_GUARDED_BY(mu_);
  std::deque<Parked> parked_ ABSL_GUARDED_BY(mu_);
  // waiting_ is the calls written and not yet answered (sent_unanswered_),
  // then those held (held_calls_, their commands in held_).
  size_t sent_unanswered_ ABSL_GUARDED_BY(mu_) = 0;
  std::string held_ ABSL_GUARDED_BY(mu_);
  size_t held_calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<int64_t> writes_{0};
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reader_;
};

RedisMux::RedisMux(RedisOptions options, int connections) {
  for (int i = 0; i < std::max(1, connections); ++i) {
    lanes_.push_back(std::make_unique<Lane>(options));
    lanes_.back()->Start(/*open_now=*/true);
  }
}

RedisMux::~RedisMux() {
  for (auto& lane : lanes_) {
    lane->Stop();
  }
}

void RedisMux::Send(const std::vector<std::vector<std::string>>& commands, Done done) {
  if (commands.empty()) {
    Deliver(done, std::vector<RedisValue>{});
    return;
  }
  std::string bytes = EncodeCommands(commands);
  const size_t n = lanes_.size();
  const size_t first = next_.fetch_add(1, std::memory_order_relaxed) % n;
  for (size_t i = 0; i < n; ++i) {
    if (lanes_[(first + i) % n]->TrySend(bytes, commands.size(), done)) {
      return;
    }
  }
  lanes_[first]->SendOrPark(std::move(bytes), commands.size(), done);
}

bool RedisMux::AwaitAllOpen(absl::Time deadline) const {
  for (const auto& lane : lanes_) {
    if (!lane->AwaitOpen(deadline)) {
      return false;
    }
  }
  return true;
}

int64_t RedisMux::writes() const {
  int64_t n = 0;
  for (const auto& lane : lanes_) {
    n += lane->writes();
  }
  return n;
}

int RedisMux::open_connections() const {
  int open = 0;
  for (const auto& lane : lanes_) {
    open += lane->open() ? 1 : 0;
  }
  return open;
}

}  // namespace salesops
