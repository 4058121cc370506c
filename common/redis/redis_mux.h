// Reads without a thread blocked per call. Concurrent callers' pipelines share
// a few connections: Send queues a call's commands and returns at once; one
// reader thread per connection parses the replies as they arrive and hands each
// call its own, in order, on that thread. A call on a connection with nothing
// unanswered is written at once; one made while replies are due is held, and
// the reader writes all that is held in one go as the next reply arrives. So
// under load many calls' commands leave in one write and come back in one read
// (fewer system calls here and in Redis), and a call costs no hand-off to a
// worker thread that then sleeps on its socket: the RPC's gRPC thread sends,
// the reader thread answers.
//
// For reads. Writes stay on RedisClient: their scripts, WAIT and retries need
// a connection of their own for the call.
//
//   RedisMux mux(redis.options(), /*connections=*/2);
//   mux.Send({{"HGETALL", key}}, [](absl::StatusOr<std::vector<RedisValue>> r) { ... });
//
// Errors, as RedisClient reports them. A connection lost is reopened by its
// reader in the background (through the sentinels when configured), with a
// growing back-off while Redis stays away; a call that finds no connection open
// makes a reader try at once and waits for that attempt, then is sent, or is
// UNAVAILABLE (REDIS_UNAVAILABLE) with nothing sent. A connection lost, or a
// reply later than the command timeout, fails every call waiting on that
// connection with DEADLINE_EXCEEDED (REDIS_OUTCOME_UNKNOWN), those still held
// for it UNAVAILABLE (nothing sent), and the connection is reopened. Error replies are returned per
// command, not as a failed call. `done` runs exactly once, on the caller's thread (refused at once)
// or on a reader thread; it must not block.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/redis/redis_client.h"

namespace salesops {

class RedisMux {
 public:
  using Done = std::function<void(absl::StatusOr<std::vector<RedisValue>>)>;

  // Opens the connections (each waits at most the connect timeout) and starts
  // their readers; one that cannot open yet keeps trying in the background.
  RedisMux(RedisOptions options, int connections);
  // Fails what still waits (UNAVAILABLE) and joins the readers.
  ~RedisMux();
  RedisMux(const RedisMux&) = delete;
  RedisMux& operator=(const RedisMux&) = delete;

  void Send(const std::vector<std::vector<std::string>>& commands, Done done);

  // Connections open now (tests, readiness).
  int open_connections() const;
  // Writes to Redis so far, each carrying one or more calls (tests).
  int64_t writes() const;
  // Waits until every connection is open (true), or until `deadline` (false).
  bool AwaitAllOpen(absl::Time deadline) const;

 private:
  class Lane;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::atomic<unsigned> next_{0};
};

}  // namespace salesops
